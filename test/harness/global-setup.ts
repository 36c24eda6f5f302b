// vitest globalSetup (main process): one run directory for all workers, and a teardown that
// kills any swtpm a worker left behind (a worker killed by a signal never runs its 'exit'
// hook). Also sweeps what crashed earlier runs left.
import { rm } from "node:fs/promises";
import { killRecordedSwtpms } from "./pids.js";
import { createRunDir, keepRunFiles, RUN_DIR_ENV, sweepStaleRuns } from "./run-dir.js";

export async function setup(): Promise<void> {
  await sweepStaleRuns();
  // Workers are forked after globalSetup and inherit this environment.
  process.env[RUN_DIR_ENV] = createRunDir();
}

export async function teardown(): Promise<void> {
  const dir = process.env[RUN_DIR_ENV];
  if (!dir) return;
  const leftovers = await killRecordedSwtpms(dir);
  if (leftovers.length > 0) {
    console.warn(
      `tpm fleet harness: killed ${leftovers.length} swtpm process(es) left running: ${leftovers.join(", ")}`,
    );
  }
  if (!keepRunFiles()) await rm(dir, { recursive: true, force: true });
  delete process.env[RUN_DIR_ENV];
}
