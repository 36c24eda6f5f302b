// `registrar import` (issue 5): a summary per file (or JSON lines), and its exit status:
// 0 all imported, 1 a file or a device rejected, 2 usage or unreadable input.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importCommand } from "../../cloud/cli/commands/import.js";
import { addCa } from "../../cloud/store/cas.js";
import { SqliteDatabase } from "../../cloud/store/sqlite-database.js";
import { addStation } from "../../cloud/store/stations.js";
import { UsageError } from "../../shared/cli/args.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { readPublicKey, writeKeyPair } from "../../shared/formats/keys.js";
import { sealStream } from "../../shared/formats/seal.js";
import { createTestPki, runDir, type TestPki } from "../harness/index.js";
import {
  makeBundle,
  makeStation,
  payload,
  signManifestWith,
  softwareEk,
  type TestStation,
} from "./import-fixtures.js";

let dir: string;
let pki: TestPki;
let station: TestStation;
let dbPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "import-cli-"));
  pki = await createTestPki(join(dir, "pki"));
  station = await makeStation(dir, "cliline");
  dbPath = join(dir, "registrar.db");
  const db = await SqliteDatabase.open(dbPath);
  const { store } = await loadCaDir(pki.trustedCaDir);
  await db.write(async (tx) => {
    await addStation(tx, station.name, station.publicKey);
    for (const cert of store.certificates) await addCa(tx, cert, pki.trustedCaDir);
  });
  await db.close();
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await importCommand(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { status, out: out.join(""), err: err.join("") };
}

async function file(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe("registrar import", () => {
  it("imports a bundle and a manifest, prints one summary each and exits 0", async () => {
    const good = await softwareEk(pki.vendorB.root);
    const solo = await softwareEk(pki.vendorA.eccIntermediate);
    const bundle = await file(
      "cliline-1.bundle",
      await makeBundle(station, { seq: 1, prev: null, bundle_id: "B-1" }, [
        signManifestWith(station, payload("CLI-1", station.name, [good.ek])),
      ]),
    );
    const manifest = await file(
      "CLI-2.manifest",
      signManifestWith(station, payload("CLI-2", station.name, [solo.ek])),
    );
    const r = await cli("--db", dbPath, bundle, manifest);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe(
      `${bundle}: bundle B-1 (seq 1) from station cliline: 1 of 1 device imported\n` +
        `${manifest}: manifest from station cliline: 1 of 1 device imported\n`,
    );
  });

  it("lists a rejected device and exits 1; with --json prints the report", async () => {
    const rogue = await softwareEk(pki.rogue.root);
    const bundle = await file(
      "cliline-x.bundle",
      await makeBundle(station, { seq: 5, prev: new Uint8Array(32), bundle_id: "B-5" }, [
        signManifestWith(station, payload("CLI-ROGUE", station.name, [rogue.ek])),
      ]),
    );
    const human = await cli("--db", dbPath, bundle);
    expect(human.status).toBe(1);
    expect(human.out).toContain("0 of 1 device imported, 1 rejected");
    expect(human.out).toContain("  chain: gap: bundles 2–4 of station cliline are missing");
    expect(human.out).toMatch(/ {2}rejected #0 CLI-ROGUE: .*does not chain to a trusted manufacturer CA/);
    const json = await cli("--db", dbPath, "--json", bundle);
    expect(json.status).toBe(0); // the same file again: already imported, nothing rejected now
    const line = JSON.parse(json.out);
    expect(line).toMatchObject({ file: bundle, ok: true, report: { already_imported: true } });
  });

  it("reports a refused file as REJECTED with its code and exits 1", async () => {
    const stranger = await makeStation(dir, "nobody");
    const bundle = await file(
      "nobody-1.bundle",
      await makeBundle(stranger, { seq: 1, prev: null }, [
        signManifestWith(stranger, payload("X", stranger.name, [(await softwareEk(pki.vendorB.root)).ek])),
      ]),
    );
    const r = await cli("--db", dbPath, bundle);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/REJECTED \(IMPORT_UNKNOWN_STATION\): .*signed by an unknown station kid/);
    const j = await cli("--db", dbPath, "--json", bundle);
    expect(JSON.parse(j.out)).toMatchObject({ ok: false, error: { code: "IMPORT_UNKNOWN_STATION" } });
  });

  it("refuses a sealed bundle when the registrar has no keys yet, pointing at registrar init", async () => {
    await mkdir(join(dir, "other"), { recursive: true });
    const someone = await writeKeyPair(join(dir, "other"), "other.x25519", "x25519");
    const plain = await makeBundle(station, { seq: 9, prev: new Uint8Array(32) }, [
      signManifestWith(station, payload("SEALED", station.name, [(await softwareEk(pki.vendorB.root)).ek])),
    ]);
    const sealed: Uint8Array[] = [];
    for await (const c of sealStream([plain], await readPublicKey(someone.pubPath, "x25519")))
      sealed.push(new Uint8Array(c));
    const r = await cli("--db", dbPath, await file("cliline-9.bundle.sealed", Buffer.concat(sealed)));
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/REJECTED \(IMPORT_SEALED\): this is a sealed bundle, but .*registrar init/);
  });

  it("exits 2 for a missing file or database, and refuses no FILE as a usage error", async () => {
    expect((await cli("--db", dbPath, join(dir, "absent.bundle"))).status).toBe(2);
    const noDb = await cli("--db", join(dir, "absent.db"), await file("empty", new Uint8Array([0xa0])));
    expect(noDb.status).toBe(2);
    expect(noDb.err).toMatch(/registrar init/);
    await expect(cli("--db", dbPath)).rejects.toBeInstanceOf(UsageError);
    const help = await cli("--help");
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/^Usage: npm run registrar -- import/);
  });
});
