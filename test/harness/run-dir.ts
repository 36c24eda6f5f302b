// The run directory: one per test run, under os.tmpdir()/tpm-fleet-harness/, holding the TPM
// state dirs, the swtpm_setup/localca config and the pid registry (pids.ts).
//
// vitest's globalSetup (global-setup.ts) creates it in the main process and passes its path to
// the workers in an environment variable, so that its teardown can find and kill what any
// worker left behind. Without that globalSetup, each process makes its own and removes it when
// it exits or is signalled.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killRecordedSwtpms, killRecordedSwtpmsNow } from "./pids.js";

/** Path of the current run directory, set by global-setup.ts for the vitest workers. */
export const RUN_DIR_ENV = "TPM_FLEET_HARNESS_RUN_DIR";
/** Set to 1 to keep TPM states, logs and the PKI after the run, for debugging. */
export const KEEP_ENV = "TPM_FLEET_HARNESS_KEEP";

export const harnessRoot = (): string => join(tmpdir(), "tpm-fleet-harness");

export const keepRunFiles = (): boolean => process.env[KEEP_ENV] === "1";

/** Make a fresh run directory owned by this process. */
export function createRunDir(): string {
  mkdirSync(harnessRoot(), { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:.]/g, "");
  const dir = mkdtempSync(join(harnessRoot(), `${stamp}-${process.pid}-`));
  writeFileSync(join(dir, "owner"), String(process.pid));
  return dir;
}

let current: string | undefined;

/** The run directory of this process (the globalSetup one when set, else a private one). */
export function runDir(): string {
  if (current) return current;
  const shared = process.env[RUN_DIR_ENV];
  const owned = !shared;
  const dir = shared ?? createRunDir();
  mkdirSync(dir, { recursive: true });
  current = dir;
  // Last line of defence for a process that ends without stopping its TPMs: nothing can be
  // awaited here, so SIGKILL this process's own swtpms (synchronously).
  const cleanUp = (): void => {
    killRecordedSwtpmsNow(dir);
    if (owned && !keepRunFiles()) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", cleanUp);
  // vitest ends its fork workers with SIGTERM (SIGKILL 500 ms later), which skips 'exit'.
  // Clean up, then let the signal do what it would have done: re-raise it when nobody else
  // listens (the once-listener is already removed, so the default action, termination, runs).
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.once(sig, () => {
      cleanUp();
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
  return dir;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Clean up after earlier runs whose owning process is gone (a crashed or killed vitest):
 * kill their recorded swtpms and remove their directories. Runs still in progress, in this or
 * another checkout, are left alone.
 */
export async function sweepStaleRuns(): Promise<string[]> {
  const root = harnessRoot();
  if (!existsSync(root)) return [];
  const swept: string[] = [];
  for (const name of readdirSync(root)) {
    const dir = join(root, name);
    let owner: number;
    try {
      owner = Number.parseInt(readFileSync(join(dir, "owner"), "utf8"), 10);
    } catch {
      continue; // not a run directory, or one being created right now
    }
    if (!Number.isInteger(owner) || isAlive(owner)) continue;
    await killRecordedSwtpms(dir);
    rmSync(dir, { recursive: true, force: true });
    swept.push(dir);
  }
  return swept;
}
