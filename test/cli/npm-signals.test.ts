// `npm run registrar -- serve` stops cleanly when the signal goes to npm, as when a terminal's
// Ctrl-C or a process supervisor signals the process it started. npm forwards SIGTERM to its
// script's shell; the scripts `exec` their tool, so that shell is tsx, which passes the signal
// on to the registrar.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isAlive, runDir } from "../harness/index.js";

const ROOT = join(import.meta.dirname, "../..");

/** The pids of every live descendant of `pid` (from /proc), to clean up after a failure. */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf)
      if (parent === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });

describe("npm run registrar -- serve", () => {
  it("stops the server when npm gets SIGTERM", async () => {
    const dir = await mkdtemp(join(runDir(), "npm-signal-"));
    const npm = spawn(
      "npm",
      ["run", "-s", "registrar", "--", "serve", "--db", join(dir, "r.db"), "--port", "0"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    npm.stdout.on("data", (d: Buffer) => {
      output += d.toString();
    });
    npm.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    // "exit", not "close": an orphaned child would keep npm's output pipes open.
    const exited = new Promise<void>((resolve) => npm.once("exit", () => resolve()));
    let tree: number[] = [];
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the registrar did not start:\n${output}`)), 60_000);
        const poll = setInterval(() => {
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            clearInterval(poll);
            resolve(Number(m[1]));
          }
        }, 50);
      });
      tree = descendants(npm.pid!);
      expect(await accepts(port)).toBe(true);

      npm.kill("SIGTERM");
      await exited;
      // The registrar saw the signal and closed its port; no process of the tree is left.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(output).toMatch(/registrar serve: SIGTERM, stopping/);
      expect(await accepts(port)).toBe(false);
      expect(tree.filter(isAlive)).toEqual([]);
    } finally {
      for (const pid of [npm.pid!, ...tree])
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone, as it should be
        }
      await rm(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
