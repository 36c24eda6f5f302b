// The size table `npm run build` ends with.
import { relative } from "node:path";
import { ROOT } from "./paths.js";
import type { Artifact } from "./pipeline.js";

function humanSize(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${(bytes / 1000).toFixed(1)} kB`;
}

export function sizeTable(artifacts: readonly Artifact[]): string {
  const names = artifacts.map((a) => relative(ROOT, a.path));
  const width = Math.max(...names.map((n) => n.length));
  const rows = artifacts.map(
    (a, i) => `  ${names[i]!.padEnd(width)}  ${humanSize(a.bytes).padStart(9)}  (${a.bytes} bytes)`,
  );
  return [`written to ${ROOT}:`, ...rows].join("\n");
}
