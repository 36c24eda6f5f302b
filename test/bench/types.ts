// The contract between `npm run bench` (run.ts) and each benchmark file (`*.bench.ts` here).
// A benchmark file exports `benchmark: Benchmark`; the runner calls it and tabulates the rows.

export interface BenchContext {
  /** Multiplies the benchmark's default sizes (1 for `npm run bench`; tiny in the runner's own test). */
  readonly scale: number;
  /** A progress line on stderr ("generating RSA certs 4000/10000"); rewritten in place on a terminal. */
  progress(label: string, done: number, total: number): void;
  /** A remark on stderr. */
  log(message: string): void;
}

/** What a benchmark promises about one metric. */
export type BenchTarget =
  /** At most this many times the baseline's cost (e.g. "within 3× of raw crypto.verify"). */
  | { readonly kind: "maxCostRatio"; readonly value: number }
  /** The value itself at least / at most this. */
  | { readonly kind: "min"; readonly value: number }
  | { readonly kind: "max"; readonly value: number };

export interface BenchMeasurement {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** True for throughputs (certs/s), false for costs (ms). Decides how the ratio is read. */
  readonly higherIsBetter: boolean;
  /** The same quantity for the baseline, measured in the same run; null when there is none. */
  readonly baseline: number | null;
  /** What the baseline is, e.g. "raw crypto.verify". */
  readonly baselineLabel?: string;
  readonly target: BenchTarget | null;
}

export interface Benchmark {
  readonly name: string;
  run(ctx: BenchContext): Promise<BenchMeasurement[]>;
}

/** One row of the table and of bench-results.json. */
export interface BenchRow {
  readonly benchmark: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: number | null;
  readonly baseline_label: string | null;
  /** The metric's cost relative to the baseline's: 1 = as fast as the baseline, 2 = twice its cost. */
  readonly ratio: number | null;
  readonly target: string | null;
  readonly met: boolean | null;
}
