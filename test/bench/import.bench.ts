// Import benchmark (issue 5): the registrar importing bundles of 100,000 and 300,000 devices,
// with EK certificates signed by an RSA-2048 CA and, separately, by a P-384 CA. Each import
// runs in its own child process (import-child.ts) on a fresh sqlite database (synchronous =
// FULL: the whole bundle is one transaction, so this costs one fsync per import), reporting
// time, devices/s, peak RSS and the import's own CPU time.
//
// Baseline, measured in the same run: the raw crypto floor, i.e. verifying the same EK
// certificates' signatures with node:crypto on libuv's thread pool (both cores), nothing else.
// Targets: RSA-signed ≥ 10,000 devices/s; P-384-signed ≥ 70 % of the 2-core raw verify rate
// (a cost ratio ≤ 1/0.7); peak RSS < 512 MB whatever the bundle size.
//
// The bundles are built once and cached in node_modules/.cache/fleet-bench (import-fixture.ts).

import { verify } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { readBundle } from "../../shared/formats/bundle.js";
import { rawPublicKey, readPublicKey } from "../../shared/formats/keys.js";
import { readManifestUnverified } from "../../shared/formats/manifest.js";
import { runToExit } from "../harness/index.js";
import type { SignatureScheme } from "./ek-cert-der.js";
import { type ImportFixture, importFixture } from "./import-fixture.js";
import { childScript } from "./shipped-child.js";
import type { BenchContext, BenchMeasurement, Benchmark } from "./types.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const CACHE = join(ROOT, "node_modules/.cache/fleet-bench");
const SIZES = [100_000, 300_000];
const SCHEMES: { scheme: SignatureScheme; label: string }[] = [
  { scheme: "sha256WithRSAEncryption", label: "RSA-signed" },
  { scheme: "ecdsa-with-SHA384", label: "P-384-signed" },
];
const MAX_RSS_MB = 512;
const RSA_MIN_RATE = 10_000;
const P384_SHARE = 0.7;
const BATCH = 5000;
const IN_FLIGHT = 32;
const MB = 1024 * 1024;

/** Seconds to verify every EK certificate signature of the bundle (parsing not counted). */
async function rawVerifySeconds(f: ImportFixture): Promise<number> {
  const ca = (await loadCaDir(f.caDir)).store.certificates[0]!;
  const hash = f.scheme === "sha256WithRSAEncryption" ? "sha256" : "sha384";
  const stationKey = rawPublicKey(await readPublicKey(f.stationPub, "ed25519"));
  const opened = await readBundle(createReadStream(f.bundle, { highWaterMark: 1 << 20 }), {
    stationKeys: () => stationKey,
  });
  let seconds = 0;
  let batch: { tbs: Uint8Array; sig: Uint8Array }[] = [];
  const run = async () => {
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < batch.length) {
          const c = batch[next++]!;
          const ok = await new Promise<boolean>((done, fail) =>
            verify(hash, c.tbs, ca.publicKey, c.sig, (e, r) => (e ? fail(e) : done(r))),
          );
          if (!ok) throw new Error("a fixture certificate does not verify");
        }
      }),
    );
    seconds += (performance.now() - t0) / 1000;
    batch = [];
  };
  for await (const item of opened.items) {
    const cert = parseCertificate(readManifestUnverified(item.bytes).payload.eks[0]!.cert!);
    batch.push({ tbs: cert.tbs, sig: cert.signature });
    if (batch.length === BATCH) await run();
  }
  if (batch.length > 0) await run();
  return seconds;
}

async function importOnce(f: ImportFixture): Promise<Record<string, number | string>> {
  const work = await mkdtemp(join(tmpdir(), "bench-import-"));
  try {
    const r = await runToExit(
      process.execPath,
      [...(await childScript("import-child.ts")), work, f.bundle, f.station, f.stationPub, f.caDir],
      { cwd: ROOT, timeoutMs: 1_800_000 },
    );
    if (r.exitCode !== 0) throw new Error(`import-child.ts failed (${r.exitCode}): ${r.stderr}`);
    return JSON.parse(r.stdout.toString("utf8")) as Record<string, number | string>;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

export const benchmark: Benchmark = {
  name: "import",
  async run(ctx: BenchContext): Promise<BenchMeasurement[]> {
    const rows: BenchMeasurement[] = [];
    const sizes = [...new Set(SIZES.map((n) => Math.max(100, Math.round(n * ctx.scale))))];
    let step = 0;
    for (const { scheme, label } of SCHEMES) {
      for (const count of sizes) {
        const f = await importFixture(CACHE, scheme, count, ctx.log);
        const floor = await rawVerifySeconds(f);
        const r = await importOnce(f);
        ctx.progress("imports", ++step, SCHEMES.length * sizes.length);
        const seconds = r.seconds as number;
        if (r.accepted !== count) throw new Error(`imported ${r.accepted} of ${count} ${label} devices`);
        const rate = count / seconds;
        const floorRate = count / floor;
        ctx.log(
          `${label} ${count}: ${seconds.toFixed(1)} s (${round(rate)} devices/s, CPU ${(r.cpu_s as number).toFixed(1)} s, sqlite synchronous=${r.synchronous}); raw verify ${floor.toFixed(1)} s (${round(floorRate)}/s)`,
        );
        rows.push(
          {
            metric: `import ${count} devices, ${label} EK certs, rate`,
            value: round(rate),
            unit: "devices/s",
            higherIsBetter: true,
            baseline: round(floorRate),
            baselineLabel:
              "raw crypto floor: the same EK cert signatures verified with node:crypto on both cores",
            target:
              scheme === "sha256WithRSAEncryption"
                ? { kind: "min", value: RSA_MIN_RATE }
                : { kind: "maxCostRatio", value: round(1 / P384_SHARE, 2) },
          },
          {
            metric: `import ${count} devices, ${label} EK certs, time`,
            value: round(seconds, 1),
            unit: "s",
            higherIsBetter: false,
            baseline: round(floor, 1),
            baselineLabel:
              "raw crypto floor: the same EK cert signatures verified with node:crypto on both cores",
            target: null,
          },
          {
            metric: `import ${count} devices, ${label} EK certs, peak RSS`,
            value: round((r.peak_rss as number) / MB, 1),
            unit: "MB",
            higherIsBetter: false,
            baseline: null,
            target: { kind: "max", value: MAX_RSS_MB },
          },
        );
      }
    }
    return rows;
  },
};
