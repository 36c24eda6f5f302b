// Run an external program (swtpm_setup, tpm2-tools, openssl) and collect its output.
// Every call has a timeout: a tool talking to a busy swtpm blocks forever instead of failing,
// and a hung test is far harder to diagnose than an error that names the command.
import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  /** Written to the program's stdin, which is then closed. */
  input?: Uint8Array | string;
  /** Extra environment variables, merged over process.env. */
  env?: Record<string, string>;
  /** Default 30 s. */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: Buffer;
  stderr: string;
}

/** A program exited non-zero, was killed, or timed out; the message carries its stderr. */
export class CommandError extends Error {
  readonly code = "HARNESS_COMMAND_FAILED";
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: Buffer,
    reason: string,
  ) {
    super(`${command}: ${reason}${stderr.trim() ? `\n${stderr.trim()}` : ""}`);
    this.name = "CommandError";
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** How a program ended: for commands whose exit status is what a test checks. */
export interface ExitResult extends RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs a program to its end whatever its exit status; rejects only when it cannot start or
 * times out.
 */
export function runToExit(
  program: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<ExitResult> {
  const command = [program, ...args].join(" ");
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new CommandError(command, null, "", Buffer.alloc(0), `cannot start: ${e.message}`));
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString("utf8");
      if (timedOut)
        reject(new CommandError(command, exitCode, stderr, stdout, `timed out after ${timeoutMs} ms`));
      else resolve({ stdout, stderr, exitCode, signal });
    });
    // EPIPE when the program exits without reading its stdin is not our error: its exit code is.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? undefined);
  });
}

/** Runs a program that must succeed: a non-zero exit is a CommandError carrying its stderr. */
export async function run(
  program: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const r = await runToExit(program, args, opts);
  if (r.exitCode !== 0) {
    const why = r.signal ? `killed by ${r.signal}` : `exit code ${r.exitCode}`;
    throw new CommandError([program, ...args].join(" "), r.exitCode, r.stderr, r.stdout, why);
  }
  return { stdout: r.stdout, stderr: r.stderr };
}
