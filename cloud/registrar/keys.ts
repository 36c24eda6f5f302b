// The registrar's own keys (DESIGN §5): `registrar init [--out DIR]` writes
// registrar.ed25519.key/.pub (signs offline challenges) and registrar.x25519.key/.pub (opens
// sealed bundles) and records their paths in the database's settings, so `serve`, `import`
// and `offline challenge` find them without being told.

import type { KeyObject } from "node:crypto";
import { resolve } from "node:path";
import { readPrivateKey, readPublicKey, writeKeyPair } from "../../shared/formats/keys.js";
import type { X25519KeyPair } from "../../shared/formats/seal.js";
import type { SqlDatabase, SqlReader } from "../store/sql.js";

export const KEY_SETTINGS = {
  ed25519Key: "keys.ed25519.key",
  ed25519Pub: "keys.ed25519.pub",
  x25519Key: "keys.x25519.key",
  x25519Pub: "keys.x25519.pub",
} as const;

export class RegistrarKeysError extends Error {
  override readonly name = "RegistrarKeysError";
  readonly code = "REGISTRAR_KEYS";
}

export interface RegistrarKeyPaths {
  ed25519Key: string;
  ed25519Pub: string;
  x25519Key: string;
  x25519Pub: string;
}

/** Writes both key pairs into `dir` (refusing to overwrite) and records their paths. */
export async function initRegistrarKeys(db: SqlDatabase, dir: string): Promise<RegistrarKeyPaths> {
  const existing = await registrarKeyPaths(db);
  if (existing)
    throw new RegistrarKeysError(
      `this database already has registrar keys (${existing.ed25519Key}, ${existing.x25519Key}); refusing to replace them`,
    );
  const ed = await writeKeyPair(resolve(dir), "registrar.ed25519", "ed25519");
  const x = await writeKeyPair(resolve(dir), "registrar.x25519", "x25519");
  const paths = {
    ed25519Key: ed.keyPath,
    ed25519Pub: ed.pubPath,
    x25519Key: x.keyPath,
    x25519Pub: x.pubPath,
  };
  await db.write(async (tx) => {
    for (const [name, key] of Object.entries(KEY_SETTINGS))
      await tx.run("INSERT INTO settings (key, value) VALUES (?, ?)", [
        key,
        paths[name as keyof RegistrarKeyPaths],
      ]);
  });
  return paths;
}

/** The recorded key paths, or undefined before `registrar init`. */
export async function registrarKeyPaths(db: SqlReader): Promise<RegistrarKeyPaths | undefined> {
  const rows = await db.all<{ key: string; value: string }>(
    "SELECT key, value FROM settings WHERE key LIKE 'keys.%'",
  );
  const get = (k: string) => rows.find((r) => r.key === k)?.value;
  const paths = {
    ed25519Key: get(KEY_SETTINGS.ed25519Key),
    ed25519Pub: get(KEY_SETTINGS.ed25519Pub),
    x25519Key: get(KEY_SETTINGS.x25519Key),
    x25519Pub: get(KEY_SETTINGS.x25519Pub),
  };
  if (Object.values(paths).some((p) => p === undefined)) return undefined;
  return paths as RegistrarKeyPaths;
}

async function paths(db: SqlReader): Promise<RegistrarKeyPaths> {
  const p = await registrarKeyPaths(db);
  if (!p) throw new RegistrarKeysError("the registrar has no keys yet: run 'registrar init' first");
  return p;
}

/** The X25519 key pair that opens sealed bundles. */
export async function readSealKeyPair(db: SqlReader): Promise<X25519KeyPair> {
  const p = await paths(db);
  return {
    privateKey: await readPrivateKey(p.x25519Key, "x25519"),
    publicKey: await readPublicKey(p.x25519Pub, "x25519"),
  };
}

/** The Ed25519 key pair that signs offline challenges. */
export async function readChallengeKeyPair(
  db: SqlReader,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  const p = await paths(db);
  return {
    privateKey: await readPrivateKey(p.ed25519Key, "ed25519"),
    publicKey: await readPublicKey(p.ed25519Pub, "ed25519"),
  };
}
