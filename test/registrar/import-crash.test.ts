// An import is one transaction (issue 5): `registrar import` killed with SIGKILL in the middle
// of a 20,000-device bundle leaves none of it in the database, and the same file imports
// whole afterwards. The bundle holds 20,000 distinct software P-256 EKs, each with a
// certificate from the test PKI's vendor B root (re-signed templates: import-fixtures.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addCa } from "../../cloud/store/cas.js";
import { SqliteDatabase } from "../../cloud/store/sqlite-database.js";
import { addStation } from "../../cloud/store/stations.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { createTestPki, p256Key, runDir, runToExit, type TestPki } from "../harness/index.js";
import { keepRunFiles } from "../harness/run-dir.js";
import {
  eccEkPub,
  fastEkCerts,
  makeBundle,
  makeStation,
  payload,
  sha256hex,
  signManifestWith,
} from "./import-fixtures.js";

const ROOT = resolve(import.meta.dirname, "../..");
const DEVICES = 20_000;

let dir: string;
let pki: TestPki;
let dbPath: string;
let bundlePath: string;

const cliArgs = (...extra: string[]) => [
  "--import",
  "tsx",
  join(ROOT, "cloud/cli/main.ts"),
  "import",
  "--db",
  dbPath,
  ...extra,
  bundlePath,
];

async function countDevices(): Promise<number> {
  const db = await SqliteDatabase.open(dbPath, { mustExist: true });
  try {
    return (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM devices"))?.n ?? -1;
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "import-crash-"));
  pki = await createTestPki(join(dir, "pki"));
  const station = await makeStation(dir, "crashline");
  const issue = await fastEkCerts(pki.vendorB.root);
  const manifests: Uint8Array[] = [];
  const capturedAt = Math.floor(Date.now() / 1000);
  for (let i = 0; i < DEVICES; i++) {
    const key = p256Key();
    const spki = key.spki;
    const ek = {
      alg: "ecc-p256" as const,
      template: "L-2" as const,
      pub: eccEkPub(key),
      ek_pub_sha256: sha256hex(spki),
      cert: issue(spki),
      cert_nv: 0x01c0000a,
      chain: [],
    };
    manifests.push(
      signManifestWith(
        station,
        payload(`CRASH-${String(i).padStart(6, "0")}`, station.name, [ek], capturedAt),
      ),
    );
  }
  bundlePath = join(dir, "crashline-1.bundle");
  await writeFile(bundlePath, await makeBundle(station, { seq: 1, prev: null }, manifests));
  dbPath = join(dir, "registrar.db");
  const db = await SqliteDatabase.open(dbPath);
  const { store } = await loadCaDir(pki.trustedCaDir);
  await db.write(async (tx) => {
    await addStation(tx, station.name, station.publicKey);
    for (const cert of store.certificates) await addCa(tx, cert, pki.trustedCaDir);
  });
  await db.close();
}, 120_000);

afterAll(async () => {
  if (dir && !keepRunFiles()) await rm(dir, { recursive: true, force: true });
});

describe("registrar import killed mid-import", () => {
  it("leaves none of a 20,000-device bundle after SIGKILL, and imports all of it afterwards", async () => {
    const child: ChildProcess = spawn(process.execPath, cliArgs(), {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let walAtKill = 0;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on("exit", (code, signal) => done({ code, signal })),
    );
    // Killed past the progress line at 10,000 devices (half the bundle checked and inserted,
    // uncommitted), once the WAL holds 1 MiB of the transaction: the writer's page cache (16 MiB,
    // sqlite-database.ts) has overflowed into it. So the restart must ignore written but
    // uncommitted pages, not merely find nothing written.
    const WAL_AT_KILL = 1 << 20;
    let polling = false;
    const killed = new Promise<void>((done) => {
      const poll = (): void => {
        if (child.exitCode !== null || child.killed) {
          done();
          return;
        }
        void stat(`${dbPath}-wal`)
          .then((s) => s.size)
          .catch(() => 0)
          .then((size) => {
            if (size < WAL_AT_KILL) {
              setTimeout(poll, 5);
              return;
            }
            walAtKill = size;
            child.kill("SIGKILL");
            done();
          });
      };
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (!polling && /10,000 devices/.test(stderr)) {
          polling = true;
          poll();
        }
      });
    });
    const outcome = await Promise.race([exited, killed.then(() => exited)]);
    expect(outcome.signal, `the import finished before it could be killed: ${stderr}`).toBe("SIGKILL");
    expect(walAtKill, "the import had written to the WAL when it was killed").toBeGreaterThanOrEqual(
      WAL_AT_KILL,
    );

    expect(await countDevices()).toBe(0);
    const db = await SqliteDatabase.open(dbPath, { mustExist: true });
    try {
      expect(await db.get("PRAGMA integrity_check")).toEqual({ integrity_check: "ok" });
      expect(await db.all("SELECT digest FROM bundles")).toEqual([]);
      expect(await db.get("SELECT last_seq FROM stations WHERE name = 'crashline'")).toEqual({
        last_seq: null,
      });
    } finally {
      await db.close();
    }

    // Restarted, the same command imports the whole file (in worker threads: 20,000 devices).
    const started = performance.now();
    const again = await runToExit(process.execPath, cliArgs("--json"), { cwd: ROOT, timeoutMs: 100_000 });
    const seconds = (performance.now() - started) / 1000;
    expect(again.exitCode, String(again.stderr)).toBe(0);
    const line = JSON.parse(String(again.stdout)) as {
      ok: boolean;
      report: { accepted: number; count: number };
    };
    expect(line).toMatchObject({ ok: true, report: { count: DEVICES, accepted: DEVICES } });
    expect(await countDevices()).toBe(DEVICES);
    console.log(
      `registrar import of ${DEVICES} devices (P-256 EKs, certs by an ECDSA P-256 CA), process start included: ${seconds.toFixed(1)} s, ${Math.round(DEVICES / seconds)} devices/s`,
    );
  }, 120_000);
});
