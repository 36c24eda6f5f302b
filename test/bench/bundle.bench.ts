// Bundle benchmark (issue 4): bundle, seal, open and inspect (read the bundle back and verify
// every manifest's signature and content) 100,000 device manifests, streaming through files in
// a temp dir. Each phase runs in its own child process (bundle-child.ts, built with esbuild
// as the shipped tools are), so its peak RSS (process.resourceUsage().maxRSS) is its own.
//
// The manifests are built by the benchmark: each serial's payload (RSA + ECC EK with their
// certificates, ~2.7 KB signed) is encoded and signed with libsodium Ed25519, all 100,000 of
// them (a few seconds per 10,000). That build is not part of the timed phase.
//
// Baseline, measured in the same run over the same bytes: SHA-256 and crypto_secretstream
// push, then pull and SHA-256 again, file to file, with no CBOR and no signatures. No target
// on the ratio (it is reported: most of the cost is the 100,000 Ed25519 verifications); the
// target is on memory: peak RSS < 256 MB, which holds only if every step streams.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { runToExit } from "../harness/index.js";
import type { BenchContext, BenchMeasurement, Benchmark } from "./types.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const MANIFESTS = 100_000;
const MAX_RSS_MB = 256;
const MB = 1024 * 1024;

/** Builds bundle-child.ts into one ESM file in `dir`, as `npm run build` builds the tools. */
async function buildChild(dir: string): Promise<string> {
  const outfile = join(dir, "bundle-child.mjs");
  await build({
    entryPoints: [join(HERE, "bundle-child.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "error",
    // libsodium-wrappers is CommonJS and calls require() for Node built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return outfile;
}

async function child(script: string, mode: string, ...args: string[]): Promise<Record<string, number>> {
  const r = await runToExit(process.execPath, [script, mode, ...args], { cwd: ROOT, timeoutMs: 300_000 });
  if (r.exitCode !== 0) throw new Error(`bundle-child.ts ${mode} failed (${r.exitCode}): ${r.stderr}`);
  return JSON.parse(r.stdout.toString("utf8")) as Record<string, number>;
}

const round = (n: number, digits: number) => Number(n.toFixed(digits));

export const benchmark: Benchmark = {
  name: "bundle",
  async run(ctx: BenchContext): Promise<BenchMeasurement[]> {
    const count = Math.max(10, Math.round(MANIFESTS * ctx.scale));
    const dir = await mkdtemp(join(tmpdir(), "bench-bundle-"));
    try {
      const script = await buildChild(dir);
      ctx.log(`signing ${count} manifests`);
      const built = await child(script, "build", dir, String(count));
      ctx.log(
        `signed ${count} manifests (${((built.manifest_bytes ?? 0) / MB).toFixed(1)} MB) in ` +
          `${(built.seconds ?? 0).toFixed(1)} s`,
      );
      ctx.progress("phases", 1, 3);
      const phase = await child(script, "bundle", dir);
      ctx.progress("phases", 2, 3);
      const base = await child(script, "baseline", dir);
      ctx.progress("phases", 3, 3);
      if (phase.count !== count) throw new Error(`inspected ${phase.count} of ${count} manifests`);
      ctx.log(
        `bundle+seal ${(phase.bundle_seal_s ?? 0).toFixed(2)} s, open+inspect ` +
          `${(phase.open_inspect_s ?? 0).toFixed(2)} s, sealed ${((phase.sealed_bytes ?? 0) / MB).toFixed(1)} MB`,
      );
      const label = `${count} manifests`;
      return [
        {
          metric: `bundle+seal+open+inspect ${label}, time`,
          value: round(phase.seconds ?? 0, 2),
          unit: "s",
          higherIsBetter: false,
          baseline: round(base.seconds ?? 0, 2),
          baselineLabel: "SHA-256 + secretstream push/pull over the same bytes, file to file",
          target: null,
        },
        {
          metric: `bundle+seal+open+inspect ${label}, peak RSS`,
          value: round((phase.peak_rss ?? 0) / MB, 1),
          unit: "MB",
          higherIsBetter: false,
          baseline: round((base.peak_rss ?? 0) / MB, 1),
          baselineLabel: "the same baseline's peak RSS (node and libsodium alone are most of it)",
          target: { kind: "max", value: MAX_RSS_MB },
        },
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
