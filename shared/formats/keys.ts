// Key files (DESIGN §5 "Key files"): Ed25519 and X25519 keys as standard PEM that openssl
// reads — public keys SPKI (-----BEGIN PUBLIC KEY-----), private keys unencrypted PKCS#8
// (-----BEGIN PRIVATE KEY-----). Private key files are mode 0600; no key file is overwritten.
//
// node:crypto only. libsodium takes raw keys: the helpers at the end convert between those
// and node KeyObjects (RFC 8410 DER: the raw key follows a fixed prefix).

import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { constants, type FileHandle, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { kidOf } from "./cose-verify.js";
import { KeyFileExistsError, KeyFileInvalidError } from "./errors.js";

export type KeyKind = "ed25519" | "x25519";

const SPKI_PREFIX: Record<KeyKind, Buffer> = {
  ed25519: Buffer.from("302a300506032b6570032100", "hex"),
  x25519: Buffer.from("302a300506032b656e032100", "hex"),
};
const PKCS8_PREFIX: Record<KeyKind, Buffer> = {
  ed25519: Buffer.from("302e020100300506032b657004220420", "hex"),
  x25519: Buffer.from("302e020100300506032b656e04220420", "hex"),
};

// ---------------------------------------------------------------------------------------------
// PEM text

/** SPKI PEM of a public key. */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ type: "spki", format: "pem" }).toString();
}

/** Unencrypted PKCS#8 PEM of a private key. */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: "pkcs8", format: "pem" }).toString();
}

function checkKind(key: KeyObject, kind: KeyKind, what: string, path: string): KeyObject {
  if (key.asymmetricKeyType !== kind)
    throw new KeyFileInvalidError(
      path,
      `${what} holds a${key.asymmetricKeyType === "ed25519" || key.asymmetricKeyType === "x25519" ? "n" : ""} ` +
        `${key.asymmetricKeyType ?? "unknown"} key, but an ${kind} key is needed here`,
    );
  return key;
}

/** Parses PKCS#8 PEM text holding a private key of `kind`; `path` names it in errors. */
export function parsePrivateKeyPem(pem: string, kind: KeyKind, path = "the key"): KeyObject {
  if (pem.includes("-----BEGIN PUBLIC KEY-----"))
    throw new KeyFileInvalidError(
      path,
      `${path} is a public key; the private key (.key file) is needed here`,
    );
  if (pem.includes("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
    throw new KeyFileInvalidError(path, `${path} is an encrypted private key; write it unencrypted (PKCS#8)`);
  if (!pem.includes("-----BEGIN PRIVATE KEY-----"))
    throw new KeyFileInvalidError(
      path,
      `${path} is not a PEM private key: expected a "-----BEGIN PRIVATE KEY-----" (PKCS#8) block`,
    );
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (e) {
    throw new KeyFileInvalidError(path, `${path} holds a PRIVATE KEY block that does not parse`, {
      cause: e,
    });
  }
  return checkKind(key, kind, path, path);
}

/** Parses SPKI PEM text holding a public key of `kind`; `path` names it in errors. */
export function parsePublicKeyPem(pem: string, kind: KeyKind, path = "the key"): KeyObject {
  if (pem.includes("PRIVATE KEY-----"))
    throw new KeyFileInvalidError(
      path,
      `${path} is a private key; give the public key (.pub file) instead, and keep the private key secret`,
    );
  if (!pem.includes("-----BEGIN PUBLIC KEY-----"))
    throw new KeyFileInvalidError(
      path,
      `${path} is not a PEM public key: expected a "-----BEGIN PUBLIC KEY-----" (SPKI) block`,
    );
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (e) {
    throw new KeyFileInvalidError(path, `${path} holds a PUBLIC KEY block that does not parse`, { cause: e });
  }
  return checkKind(key, kind, path, path);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable" : "cannot be read";
    throw new KeyFileInvalidError(path, `${what} ${path} ${why}`, { cause: e });
  }
}

/** Reads a private key file (PKCS#8 PEM) of `kind`. */
export async function readPrivateKey(path: string, kind: KeyKind): Promise<KeyObject> {
  return parsePrivateKeyPem(await readText(path, `${kind} private key file`), kind, path);
}

/** Reads a public key file (SPKI PEM) of `kind`. */
export async function readPublicKey(path: string, kind: KeyKind): Promise<KeyObject> {
  return parsePublicKeyPem(await readText(path, `${kind} public key file`), kind, path);
}

// ---------------------------------------------------------------------------------------------
// Key pair files

export interface WrittenKeyPair {
  keyPath: string;
  pubPath: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** kid of the public key (first 16 bytes of SHA-256 of the raw key). */
  kid: Uint8Array;
}

async function openExclusive(path: string, mode: number): Promise<FileHandle> {
  try {
    return await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST")
      throw new KeyFileExistsError(path, `${path} already exists; refusing to overwrite a key file`, {
        cause: e,
      });
    throw e;
  }
}

/**
 * Generates a key pair of `kind` and writes DIR/NAME.key (PKCS#8, mode 0600) and DIR/NAME.pub
 * (SPKI, mode 0644). Refuses, with KeyFileExistsError, if either file exists; then neither
 * file is changed.
 */
export async function writeKeyPair(dir: string, name: string, kind: KeyKind): Promise<WrittenKeyPair> {
  if (name === "" || name.includes("/") || name.includes("\0"))
    throw new TypeError(`key name ${JSON.stringify(name)} is not a plain file name`);
  const keyPath = join(dir, `${name}.key`);
  const pubPath = join(dir, `${name}.pub`);
  const { privateKey, publicKey } =
    kind === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("x25519");
  const keyFile = await openExclusive(keyPath, 0o600);
  let pubFile: FileHandle | undefined;
  try {
    pubFile = await openExclusive(pubPath, 0o644);
    await keyFile.chmod(0o600);
    await keyFile.writeFile(privateKeyPem(privateKey));
    await keyFile.sync();
    await pubFile.writeFile(publicKeyPem(publicKey));
    await pubFile.sync();
  } catch (e) {
    await keyFile.close();
    await unlink(keyPath).catch(() => {});
    if (pubFile !== undefined) {
      await pubFile.close();
      await unlink(pubPath).catch(() => {});
    }
    throw e;
  }
  await keyFile.close();
  await pubFile.close();
  return { keyPath, pubPath, privateKey, publicKey, kid: kidOf(rawPublicKey(publicKey)) };
}

// ---------------------------------------------------------------------------------------------
// Raw keys (libsodium) <-> KeyObjects

function kindOf(key: KeyObject): KeyKind {
  const t = key.asymmetricKeyType;
  if (t !== "ed25519" && t !== "x25519") throw new TypeError(`expected an Ed25519 or X25519 key, got ${t}`);
  return t;
}

/** The raw 32-byte public key of an Ed25519/X25519 key (public, or private to derive it). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const der = pub.export({ type: "spki", format: "der" });
  return new Uint8Array(der.subarray(SPKI_PREFIX[kindOf(pub)].length));
}

/** The raw 32-byte private key (Ed25519 seed, or X25519 scalar as libsodium takes it). */
export function rawPrivateKey(key: KeyObject): Uint8Array {
  if (key.type !== "private") throw new TypeError("expected a private key");
  const der = key.export({ type: "pkcs8", format: "der" });
  const prefix = PKCS8_PREFIX[kindOf(key)];
  if (der.length !== prefix.length + 32 || !der.subarray(0, prefix.length).equals(prefix))
    throw new TypeError("unexpected PKCS#8 layout for a 25519 private key");
  return new Uint8Array(der.subarray(prefix.length));
}

/** A node public KeyObject from 32 raw bytes. */
export function publicKeyFromRaw(raw: Uint8Array, kind: KeyKind): KeyObject {
  if (raw.length !== 32)
    throw new TypeError(`a raw ${kind} public key is 32 bytes, this one is ${raw.length}`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX[kind], raw]), format: "der", type: "spki" });
}

/** A node private KeyObject from 32 raw bytes (Ed25519 seed or X25519 scalar). */
export function privateKeyFromRaw(raw: Uint8Array, kind: KeyKind): KeyObject {
  if (raw.length !== 32)
    throw new TypeError(`a raw ${kind} private key is 32 bytes, this one is ${raw.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[kind], raw]), format: "der", type: "pkcs8" });
}

/** libsodium's Ed25519 key pair (secret key = seed ‖ public key) for a private KeyObject. */
export function sodiumEd25519KeyPair(privateKey: KeyObject): {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
} {
  if (privateKey.asymmetricKeyType !== "ed25519") throw new TypeError("expected an Ed25519 private key");
  const publicKey = rawPublicKey(privateKey);
  const secretKey = new Uint8Array(64);
  secretKey.set(rawPrivateKey(privateKey));
  secretKey.set(publicKey, 32);
  return { publicKey, secretKey };
}

/** A private KeyObject from libsodium's 64-byte Ed25519 secret key (seed ‖ public key). */
export function ed25519PrivateKeyFromSodium(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== 64) throw new TypeError("a libsodium Ed25519 secret key is 64 bytes");
  return privateKeyFromRaw(secretKey.subarray(0, 32), "ed25519");
}
