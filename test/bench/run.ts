// `npm run bench`: runs every benchmark file in test/bench/ (`*.bench.ts`, each exporting
// `benchmark`), prints one table (metric, value, unit, baseline, ratio, target, met) and
// writes it as JSON to bench-results.json. Never part of `npm test` (bench.test.ts only checks
// that a tiny run produces a well-formed table).
//
//   tsx test/bench/run.ts [--scale F] [--only NAME] [--out FILE]
//
// Exit status: 0 when every benchmark ran (whether or not its targets are met: the table's
// "met" column says), 1 when one failed, 2 on a usage error.

import { readdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { formatTable, toRow } from "./table.js";
import type { BenchContext, Benchmark, BenchRow } from "./types.js";

const HERE = dirname(fileURLToPath(import.meta.url));

function usage(message: string): never {
  process.stderr.write(
    `bench: ${message}\nUsage: tsx test/bench/run.ts [--scale F] [--only NAME] [--out FILE]\n`,
  );
  process.exit(2);
}

function options() {
  try {
    const { values } = parseArgs({
      options: { scale: { type: "string" }, only: { type: "string" }, out: { type: "string" } },
      strict: true,
    });
    const scale = values.scale === undefined ? 1 : Number(values.scale);
    if (!Number.isFinite(scale) || scale <= 0)
      usage(`--scale must be a positive number, not "${values.scale}"`);
    return { scale, only: values.only, out: resolve(values.out ?? "bench-results.json") };
  } catch (error) {
    usage((error as Error).message);
  }
}

function context(scale: number): BenchContext {
  const tty = process.stderr.isTTY === true;
  let lastStep = -1;
  return {
    scale,
    progress(label, done, total) {
      if (tty) {
        process.stderr.write(`\r  ${label} ${done}/${total}${done >= total ? "\n" : ""}`);
        return;
      }
      // Not a terminal: a line at every 25 %, so logs stay short.
      const step = total === 0 ? 4 : Math.floor((done / total) * 4);
      if (step !== lastStep || done >= total) {
        lastStep = done >= total ? -1 : step;
        process.stderr.write(`  ${label} ${done}/${total}\n`);
      }
    },
    log(message) {
      process.stderr.write(`  ${message}\n`);
    },
  };
}

async function benchmarkFiles(): Promise<string[]> {
  return (await readdir(HERE)).filter((f) => f.endsWith(".bench.ts")).sort();
}

const opts = options();
const started = performance.now();
const rows: BenchRow[] = [];
let failed = false;
const benchmarks: { file: string; bench: Benchmark }[] = [];
for (const file of await benchmarkFiles()) {
  const mod = (await import(pathToFileURL(join(HERE, file)).href)) as { benchmark?: Benchmark };
  if (mod.benchmark) benchmarks.push({ file, bench: mod.benchmark });
  else {
    process.stderr.write(`bench: ${file} exports no 'benchmark'; skipped\n`);
    failed = true;
  }
}
if (opts.only && !benchmarks.some(({ bench }) => bench.name === opts.only))
  usage(
    `--only "${opts.only}" names no benchmark; the benchmarks are ${benchmarks.map((b) => b.bench.name).join(", ")}`,
  );
for (const { file, bench } of benchmarks) {
  if (opts.only && bench.name !== opts.only) continue;
  process.stderr.write(`${bench.name} (${file}), scale ${opts.scale}\n`);
  const t0 = performance.now();
  try {
    for (const m of await bench.run(context(opts.scale))) rows.push(toRow(bench.name, m));
    process.stderr.write(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(`bench: ${bench.name} failed: ${(error as Error).stack ?? String(error)}\n`);
  }
}

process.stdout.write(`\n${formatTable(rows)}`);
const result = {
  generated_at: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  cpu: `${cpus()[0]?.model ?? "unknown"} x${cpus().length}`,
  scale: opts.scale,
  duration_s: Number(((performance.now() - started) / 1000).toFixed(1)),
  rows,
};
await writeFile(opts.out, `${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(`wrote ${opts.out}\n`);
process.exitCode = failed ? 1 : 0;
