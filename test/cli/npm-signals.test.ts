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

/** How long the process tree may take to exit after npm got SIGTERM. */
const EXIT_MS = 15_000;

/** The pids of `pids` still alive after up to `ms`, each with its /proc name and state. */
async function stillAlive(pids: number[], ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() > deadline)
      return alive.map((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          return `${pid} ${stat.slice(stat.indexOf("("), stat.lastIndexOf(")") + 3)}`;
        } catch {
          return `${pid}`;
        }
      });
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
      // Each exits on its own once its parent has (tsx's esbuild service when its pipe closes):
      // on a loaded machine that took more than a second, so allow up to EXIT_MS.
      const survivors = await stillAlive(tree, EXIT_MS);
      expect(output).toMatch(/registrar serve: SIGTERM, stopping/);
      expect(await accepts(port)).toBe(false);
      expect(survivors).toEqual([]);
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
