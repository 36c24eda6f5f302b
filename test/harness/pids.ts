// Registry of the swtpm processes this harness started, kept as files so that another process
// (the vitest globalSetup teardown, or the next run's sweep) can kill what a crashed or
// killed worker left behind.
//
// A pid alone is not proof of ownership: after a while the kernel reuses it. Before any
// signal, the process's command line must still be swtpm's and name the exact (unique,
// mkdtemp-made) state directory recorded with the pid.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

interface PidRecord {
  pid: number;
  stateDir: string;
  /** The process that started it, for diagnostics. */
  owner: number;
}

const pidsDir = (runDir: string): string => join(runDir, "pids");

export function recordSwtpm(runDir: string, pid: number, stateDir: string): void {
  mkdirSync(pidsDir(runDir), { recursive: true });
  const rec: PidRecord = { pid, stateDir, owner: process.pid };
  writeFileSync(join(pidsDir(runDir), `${pid}.json`), JSON.stringify(rec));
}

export function forgetSwtpm(runDir: string, pid: number): void {
  rmSync(join(pidsDir(runDir), `${pid}.json`), { force: true });
}

/** True when `pid` is alive and is a swtpm serving `stateDir` (Linux /proc). */
export function isHarnessSwtpm(pid: number, stateDir: string): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return false; // gone
  }
  // A zombie has an empty command line: it is already dead.
  const exe = argv[0] ?? "";
  return /(^|\/)swtpm$/.test(exe) && argv.some((a) => a.includes(`dir=${stateDir}`));
}

function readRecords(runDir: string): PidRecord[] {
  const dir = pidsDir(runDir);
  if (!existsSync(dir)) return [];
  const out: PidRecord[] = [];
  for (const name of readdirSync(dir)) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, name), "utf8")) as PidRecord);
    } catch {
      // Being written right now, or truncated by a crash: nothing to act on.
    }
  }
  return out;
}

/**
 * SIGTERM every recorded swtpm of the run that is still ours, SIGKILL after `graceMs`.
 * Returns the pids that had to be signalled (an empty list means nothing was left behind).
 */
export async function killRecordedSwtpms(runDir: string, graceMs = 1_000): Promise<number[]> {
  const live = readRecords(runDir).filter((r) => isHarnessSwtpm(r.pid, r.stateDir));
  for (const r of live) signal(r.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (live.some((r) => isHarnessSwtpm(r.pid, r.stateDir)) && Date.now() < deadline) await sleep(25);
  for (const r of live) if (isHarnessSwtpm(r.pid, r.stateDir)) signal(r.pid, "SIGKILL");
  for (const r of readRecords(runDir)) forgetSwtpm(runDir, r.pid);
  return live.map((r) => r.pid);
}

/** Synchronous variant for process 'exit' handlers, where nothing can be awaited. */
export function killRecordedSwtpmsNow(runDir: string, owner = process.pid): void {
  for (const r of readRecords(runDir)) {
    if (r.owner !== owner) continue;
    if (isHarnessSwtpm(r.pid, r.stateDir)) signal(r.pid, "SIGKILL");
    forgetSwtpm(runDir, r.pid);
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Exited between the check and the signal.
  }
}
