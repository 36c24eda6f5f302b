// Runs a program to completion for the build, keeping its output for the error message.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs `command args…`; rejects with the command line and its stderr when it fails. */
export async function run(command: string, args: readonly string[], cwd?: string): Promise<RunResult> {
  try {
    return await execFileAsync(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; code?: string | number };
    const why = err.code === "ENOENT" ? "not found on PATH" : err.stderr?.trim() || err.message;
    throw new Error(`\`${[command, ...args].join(" ")}\` failed: ${why}`);
  }
}
