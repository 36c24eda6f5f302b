// Turns benchmark measurements into the rows of `npm run bench`'s table and JSON file.
import type { BenchMeasurement, BenchRow, BenchTarget } from "./types.js";

/** The cost of the metric relative to its baseline's (1 = same cost, 3 = three times slower). */
export function costRatio(m: BenchMeasurement): number | null {
  if (m.baseline === null || m.baseline === 0 || m.value === 0) return null;
  return m.higherIsBetter ? m.baseline / m.value : m.value / m.baseline;
}

export function describeTarget(target: BenchTarget, unit: string): string {
  switch (target.kind) {
    case "maxCostRatio":
      return `<= ${target.value}x baseline`;
    case "min":
      return `>= ${target.value} ${unit}`;
    case "max":
      return `<= ${target.value} ${unit}`;
  }
}

function targetMet(target: BenchTarget, value: number, ratio: number | null): boolean | null {
  switch (target.kind) {
    case "maxCostRatio":
      return ratio === null ? null : ratio <= target.value;
    case "min":
      return value >= target.value;
    case "max":
      return value <= target.value;
  }
}

export function toRow(benchmark: string, m: BenchMeasurement): BenchRow {
  const ratio = costRatio(m);
  return {
    benchmark,
    metric: m.metric,
    value: m.value,
    unit: m.unit,
    baseline: m.baseline,
    baseline_label: m.baselineLabel ?? null,
    ratio,
    target: m.target ? describeTarget(m.target, m.unit) : null,
    met: m.target ? targetMet(m.target, m.value, ratio) : null,
  };
}

export const COLUMNS = ["metric", "value", "unit", "baseline", "ratio", "target", "met"] as const;

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  return n.toPrecision(3);
}

function cells(row: BenchRow): string[] {
  return [
    row.metric,
    formatNumber(row.value),
    row.unit,
    row.baseline === null ? "-" : formatNumber(row.baseline),
    row.ratio === null ? "-" : `${row.ratio.toFixed(2)}x`,
    row.target ?? "-",
    row.met === null ? "-" : row.met ? "yes" : "no",
  ];
}

/** A plain-text table: a header, a rule, one line per row; then what each baseline is. */
export function formatTable(rows: readonly BenchRow[]): string {
  const body = rows.map(cells);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...body.map((r) => (r[i] ?? "").length)));
  const numeric = new Set([1, 3, 4]);
  const line = (r: readonly string[]) =>
    r
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const out = [line(COLUMNS), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
  const labels = [...new Set(rows.map((r) => r.baseline_label).filter((l): l is string => l !== null))];
  if (labels.length > 0) {
    out.push("", "ratio = cost relative to the baseline, measured in the same run; baseline:");
    for (const label of labels) out.push(`  ${label}`);
  }
  return `${out.join("\n")}\n`;
}
