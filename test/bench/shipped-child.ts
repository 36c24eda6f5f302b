// How the benchmarks start a registrar process (registrar-child.ts, import-child.ts) and its
// HTTP floor (http-floor-child.ts): as the product ships, bundled by esbuild with the
// registrar's own build settings (build/bundles.ts), not through tsx from the TypeScript
// sources. tsx's loader and its dev-mode output (a __name() call for each function made at run
// time, source maps, the loader's worker) cost a registrar import a few percent of its CPU and
// ~90 MB of RSS that dist/registrar.mjs never pays.
//
// BENCH_FROM_SOURCE=1 runs the sources through tsx instead (profiles then name .ts files).
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleRegistrar } from "../../build/bundles.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = resolve(HERE, "../../node_modules/.cache/fleet-bench/shipped");

/** The node arguments that run `script` (a file in this folder), bundled unless BENCH_FROM_SOURCE=1. */
export async function childScript(script: string): Promise<string[]> {
  const source = join(HERE, script);
  if (process.env.BENCH_FROM_SOURCE === "1") return ["--import", "tsx", source];
  const [bundled] = await bundleRegistrar(join(OUT, script.replace(/\.ts$/, ".mjs")), source);
  return [bundled!];
}
