// `factory bundle` and `factory inspect` of bundles, end to end (issue 4, DESIGN §5, §8):
// spawns the real program on manifests signed in the test with the station's key. Covers the
// round trip, the chain (prev = SHA-256 of the previous plain bundle), sealing to the
// registrar, tampering, moving manifests aside, nothing pending, a refused manifest, and the
// recovery of an interrupted run.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  readPrivateKey,
  readPublicKey,
  sodiumEd25519KeyPair,
  writeKeyPair,
} from "../../shared/formats/keys.js";
import { type ManifestPayload, signManifest } from "../../shared/formats/manifest.js";
import { openStream } from "../../shared/formats/seal.js";
import { runToExit } from "../harness/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

let work: string;
let keys: string;
let stationKey: string;
let stationPub: string;
let registrarKey: string;
let registrarPub: string;
let otherRegistrarKey: string;

function factory(args: string[], env?: Record<string, string>) {
  return runToExit("node", ["--import", "tsx", join(ROOT, "factory/cli/main.ts"), ...args], {
    cwd: ROOT,
    timeoutMs: 90_000,
    ...(env ? { env } : {}),
  });
}

function payload(serial: string, n: number): ManifestPayload {
  return {
    v: 1,
    serial,
    hw_uuid: null,
    model: "board-x",
    captured_at: 1_780_000_000 + n,
    station: "line1",
    tpm: { manufacturer: "IFX", vendor: "SLB9670", fw: "7.85.0.0", spec: "2.0 level 0 revision 164" },
    eks: [
      {
        alg: "rsa2048",
        template: "L-1",
        pub: new Uint8Array([0, 2, 1, n & 0xff]),
        ek_pub_sha256: createHash("sha256").update(serial).digest("hex"),
        cert: null,
        cert_nv: null,
        chain: [],
      },
    ],
    platform_cert: null,
  };
}

/** Writes signed manifests for `serials` into `dir`. */
async function pendingManifests(dir: string, serials: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const pair = sodiumEd25519KeyPair(await readPrivateKey(stationKey, "ed25519"));
  for (const [i, serial] of serials.entries())
    await writeFile(join(dir, `${serial}.manifest`), await signManifest(payload(serial, i), pair));
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function plainBytes(file: string, sealed: boolean): Promise<Buffer> {
  const bytes = await readFile(file);
  if (!sealed) return bytes;
  const privateKey = await readPrivateKey(registrarKey, "x25519");
  const publicKey = await readPublicKey(registrarPub, "x25519");
  const chunks: Uint8Array[] = [];
  for await (const c of openStream([new Uint8Array(bytes)], { publicKey, privateKey })) chunks.push(c);
  return Buffer.concat(chunks);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "factory-bundle-"));
  keys = join(work, "keys");
  const r = await factory(["keygen", "--station", "line1", "--out", keys]);
  expect(r.exitCode, r.stderr).toBe(0);
  stationKey = join(keys, "line1.key");
  stationPub = join(keys, "line1.pub");
  const reg = await writeKeyPair(keys, "registrar.x25519", "x25519");
  registrarKey = reg.keyPath;
  registrarPub = reg.pubPath;
  otherRegistrarKey = (await writeKeyPair(keys, "other.x25519", "x25519")).keyPath;
}, 60_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("factory bundle / inspect", () => {
  const pending = () => join(work, "pending");
  const out = () => join(work, "outgoing");
  const bundleArgs = (...extra: string[]) => [
    "bundle",
    "--key",
    stationKey,
    "--in",
    pending(),
    "--out-dir",
    out(),
    "--json",
    ...extra,
  ];
  let first: string;
  let second: string;

  it("bundles pending manifests, moves them aside, and inspect verifies the round trip", async () => {
    await pendingManifests(pending(), ["SN-1", "SN-2", "SN-3"]);
    const r = await factory(bundleArgs());
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(String(r.stdout));
    first = join(out(), "line1-1.bundle");
    expect(res).toMatchObject({ bundled: true, file: first, seq: 1, count: 3, prev: null, sealed: false });
    expect(res.digest).toBe(sha256(await readFile(first)));
    expect((await readdir(pending())).filter((n) => n.endsWith(".manifest"))).toEqual([]);
    expect((await readdir(join(pending(), ".bundled"))).sort()).toEqual([
      "SN-1.manifest",
      "SN-2.manifest",
      "SN-3.manifest",
    ]);
    const state = JSON.parse(await readFile(join(keys, "line1.state.json"), "utf8"));
    expect(state).toEqual({ seq: 1, prev: res.digest, last: first });

    const i = await factory(["inspect", first, "--station-pub", stationPub, "--json"]);
    expect(i.exitCode, i.stderr).toBe(0);
    const info = JSON.parse(String(i.stdout));
    expect(info).toMatchObject({ kind: "bundle", verified: true, digest: res.digest });
    expect(info.header).toMatchObject({ station: "line1", seq: 1, prev: null, count: 3 });
    expect(info.manifests.map((m: { serial: string }) => m.serial)).toEqual(["SN-1", "SN-2", "SN-3"]);
    expect(info.manifests[0].eks[0]).toEqual({
      alg: "rsa2048",
      template: "L-1",
      ek_pub_sha256: sha256(Buffer.from("SN-1")),
    });
    const text = await factory(["inspect", first, "--station-pub", stationPub]);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(String(text.stdout)).toMatch(/seq:\s+1/);
    expect(String(text.stdout)).toContain("SN-2  L-1/rsa2048");
  }, 60_000);

  it("says there is nothing to do when nothing is pending", async () => {
    const r = await factory(bundleArgs().filter((a) => a !== "--json"));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(String(r.stdout)).toMatch(/nothing to bundle/);
    expect(await readdir(out())).toEqual(["line1-1.bundle"]);
  }, 30_000);

  it("chains a sealed second bundle: prev is the SHA-256 of the first plain bundle", async () => {
    await pendingManifests(pending(), ["SN-4", "SN-5"]);
    const r = await factory(bundleArgs("--seal-to", registrarPub));
    expect(r.exitCode, r.stderr).toBe(0);
    const res = JSON.parse(String(r.stdout));
    second = join(out(), "line1-2.bundle.sealed");
    expect(res).toMatchObject({ file: second, seq: 2, count: 2, sealed: true });
    expect(res.prev).toBe(sha256(await readFile(first)));
    expect(res.digest).toBe(sha256(await plainBytes(second, true)));

    const ok = await factory([
      "inspect",
      second,
      "--station-pub",
      stationPub,
      "--registrar-key",
      registrarKey,
      "--json",
    ]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const info = JSON.parse(String(ok.stdout));
    expect(info).toMatchObject({ kind: "sealed bundle", digest: res.digest });
    expect(info.header).toMatchObject({ seq: 2, prev: sha256(await readFile(first)), count: 2 });

    const noKey = await factory(["inspect", second, "--station-pub", stationPub]);
    expect(noKey.exitCode).toBe(1);
    expect(String(noKey.stdout)).toMatch(/sealed_to:\s+[0-9a-f]{32}/);
    expect(noKey.stderr).toMatch(/--registrar-key/);
    const wrongKey = await factory([
      "inspect",
      second,
      "--station-pub",
      stationPub,
      "--registrar-key",
      otherRegistrarKey,
    ]);
    expect(wrongKey.exitCode).toBe(1);
    expect(wrongKey.stderr).toMatch(/REJECTED/);
  }, 60_000);

  it("refuses a plain or sealed bundle with a flipped byte", async () => {
    const cases: Promise<void>[] = [];
    for (const [file, extra] of [
      [first, []],
      [second, ["--registrar-key", registrarKey]],
    ] as const) {
      const bytes = await readFile(file);
      const positions = [0, 5, Math.floor(bytes.length / 3), Math.floor(bytes.length / 2), bytes.length - 1];
      for (const pos of positions) {
        const copy = Buffer.from(bytes);
        copy[pos] = (copy[pos] ?? 0) ^ 0x01;
        const bad = join(work, `flip-${pos}-${file.endsWith(".sealed") ? "s" : "p"}`);
        cases.push(
          writeFile(bad, copy).then(async () => {
            const r = await factory(["inspect", bad, "--station-pub", stationPub, ...extra]);
            expect(r.exitCode, `${bad}: ${r.stderr}`).toBe(1);
          }),
        );
      }
    }
    await Promise.all(cases);
  }, 90_000);

  it("refuses a manifest that does not verify, naming it, and bundles the rest", async () => {
    await pendingManifests(pending(), ["SN-6"]);
    await writeFile(join(pending(), "BAD.manifest"), Buffer.from("not a manifest"));
    const r = await factory(bundleArgs());
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/REFUSED .*BAD\.manifest/);
    expect(JSON.parse(String(r.stdout))).toMatchObject({ seq: 3, count: 1 });
    expect(existsSync(join(pending(), "BAD.manifest"))).toBe(true);
    await rm(join(pending(), "BAD.manifest"));
  }, 30_000);

  it("recovers an interrupted run without losing or duplicating a manifest", async () => {
    // Crash before the commit: the old state stays; the next run bundles the same manifests.
    await pendingManifests(pending(), ["SN-7", "SN-8"]);
    const a = await factory(bundleArgs(), { FACTORY_BUNDLE_CRASH_AFTER: "written" });
    expect(a.exitCode).toBe(9);
    expect(existsSync(join(out(), ".line1-4.bundle.tmp"))).toBe(true);
    expect(JSON.parse(await readFile(join(keys, "line1.state.json"), "utf8")).seq).toBe(3);

    // Crash after the commit: the next run finishes it first.
    const b = await factory(bundleArgs(), { FACTORY_BUNDLE_CRASH_AFTER: "commit" });
    expect(b.exitCode).toBe(9);
    expect(existsSync(join(out(), "line1-4.bundle"))).toBe(false);
    expect(existsSync(join(pending(), "SN-7.manifest"))).toBe(true);
    await pendingManifests(pending(), ["SN-9"]);

    const c = await factory(bundleArgs());
    expect(c.exitCode, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/finished the interrupted bundle .*line1-4\.bundle/);
    expect(JSON.parse(String(c.stdout))).toMatchObject({ seq: 5, count: 1 });

    const serials: string[] = [];
    for (const seq of [1, 3, 4, 5]) {
      const i = await factory([
        "inspect",
        join(out(), `line1-${seq}.bundle`),
        "--station-pub",
        stationPub,
        "--json",
      ]);
      expect(i.exitCode, i.stderr).toBe(0);
      serials.push(...JSON.parse(String(i.stdout)).manifests.map((m: { serial: string }) => m.serial));
    }
    expect(serials).toEqual(["SN-1", "SN-2", "SN-3", "SN-6", "SN-7", "SN-8", "SN-9"]);
    expect((await readdir(out())).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect((await readdir(pending())).filter((n) => n.endsWith(".manifest"))).toEqual([]);
    expect((await readdir(join(pending(), ".bundled"))).length).toBe(9);
  }, 90_000);
});
