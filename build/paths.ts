// Where the build reads and writes: every path is absolute, from the repository root, so the
// build works whatever the current directory.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = join(ROOT, "dist");

/** The entry points DESIGN §2 lists, by artifact. */
export const ENTRIES = {
  agent: join(ROOT, "edge-agent/cli/main.ts"),
  factory: join(ROOT, "factory/cli/main.ts"),
  registrar: join(ROOT, "cloud/cli/main.ts"),
  /** The registrar's import workers load this module from a file beside registrar.mjs. */
  checkWorker: join(ROOT, "cloud/import/check-worker.ts"),
} as const;
