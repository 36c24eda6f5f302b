// Durations on the command line: "90s", "5m", "2h", "7d", "500ms", or a plain number of seconds.
import { UsageError } from "./args.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds. Throws UsageError naming the option. */
export function parseDuration(text: string, option: string, command = ""): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const value = m ? Number(m[1]) * UNITS[m[2] ?? "s"]! : Number.NaN;
  if (!Number.isFinite(value) || value <= 0 || value > 366 * UNITS["d"]!)
    throw new UsageError(
      `${option} "${text}" is not a duration: a number with a unit, e.g. 500ms, 90s, 5m, 2h or 7d (at most a year)`,
      command,
    );
  return Math.round(value);
}
