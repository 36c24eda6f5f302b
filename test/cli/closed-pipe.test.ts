// The three CLIs end quietly (status 0, no stack trace) when the reader of their output goes
// away first, as in `registrar cas list | head -1`.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs `entry --help` with its stdout's read end closed before it writes. */
function withClosedStdout(entry: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", entry, "--help"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stderr }));
  });
}

describe("a closed output pipe", () => {
  for (const entry of ["cloud/cli/main.ts", "factory/cli/main.ts", "edge-agent/cli/main.ts"])
    it(`ends ${entry} with status 0 and nothing on stderr`, async () => {
      const r = await withClosedStdout(entry);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
});
