// Lifecycle of one `swtpm socket` process on loopback TCP.
//
// swtpm serves ONE data client at a time and does not queue a second one: a second client
// (tpm2-tools, or our own TCTI) that connects while another holds the socket just waits, so
// a test that keeps a connection open and then runs a tpm2 tool against the same TPM hangs
// until the tool's timeout. Close connections before handing the TPM to someone else.
//
// Started with --flags not-need-init,startup-clear, so the TPM is powered on and has run
// TPM2_Startup(SU_CLEAR) before the first client connects; tests need no control-channel
// handshake. The control port (data port + 1) is still opened, as the swtpm TCTI expects it.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { forgetSwtpm, recordSwtpm } from "./pids.js";
import { isBindFailure, pickPortPair } from "./ports.js";
import { runDir } from "./run-dir.js";

export interface SwtpmProcess {
  readonly host: string;
  /** Data port (TPM commands). */
  readonly port: number;
  /** Control port, always port + 1. */
  readonly ctrlPort: number;
  readonly pid: number;
  /** TCTI string for tpm2-tools and for shared/tpm: "swtpm:host=127.0.0.1,port=P". */
  readonly tcti: string;
  readonly stateDir: string;
  /** swtpm's stdout/stderr. */
  readonly logFile: string;
  readonly running: boolean;
  /** SIGTERM, wait for the exit, SIGKILL after a short grace. Idempotent. */
  stop(): Promise<void>;
}

export interface StartSwtpmOptions {
  /** Data port to try first (control = port + 1); later attempts use random free pairs. */
  port?: number;
  /** Default: `${stateDir}.log`. */
  logFile?: string;
  /** How long to wait for the ports to listen, per attempt. Default 10 s. */
  startTimeoutMs?: number;
  /** Port pairs to try when a bind fails (another process took the port). Default 5. */
  attempts?: number;
  /** Time between SIGTERM and SIGKILL on stop(). Default 2 s. */
  stopGraceMs?: number;
}

const HOST = "127.0.0.1";

/**
 * Start swtpm on a TPM state directory made by swtpm_setup. An empty (or missing) directory
 * gives a blank TPM: no EKs, no certs.
 */
export async function startSwtpm(stateDir: string, opts: StartSwtpmOptions = {}): Promise<SwtpmProcess> {
  mkdirSync(stateDir, { recursive: true });
  const logFile = opts.logFile ?? `${stateDir}.log`;
  const attempts = opts.attempts ?? 5;
  let lastError = "";
  for (let i = 0; i < attempts; i++) {
    const port = i === 0 && opts.port !== undefined ? opts.port : await pickPortPair(HOST);
    const started = await startOnce(stateDir, port, logFile, opts);
    if (started.ok) return started.tpm;
    if (!started.retry) throw new Error(started.error);
    lastError = started.error;
  }
  throw new Error(`swtpm could not bind a port pair in ${attempts} attempts; last: ${lastError}`);
}

type StartResult = { ok: true; tpm: SwtpmProcess } | { ok: false; retry: boolean; error: string };

async function startOnce(
  stateDir: string,
  port: number,
  logFile: string,
  opts: StartSwtpmOptions,
): Promise<StartResult> {
  const ctrlPort = port + 1;
  const args = [
    "socket",
    "--tpm2",
    "--tpmstate",
    `dir=${stateDir}`,
    "--server",
    `type=tcp,port=${port},bindaddr=${HOST}`,
    "--ctrl",
    `type=tcp,port=${ctrlPort},bindaddr=${HOST}`,
    "--flags",
    "not-need-init,startup-clear",
  ];
  const logFd = openSync(logFile, "a");
  const logStart = fstatSync(logFd).size; // read only this attempt's messages
  let child: ChildProcess;
  try {
    child = spawn("swtpm", args, { stdio: ["ignore", logFd, logFd] });
  } finally {
    closeSync(logFd); // the child has its own copy
  }
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", () => resolve());
  });
  let spawnError: Error | undefined;
  child.once("error", (e) => {
    spawnError = e;
  });
  const pid = child.pid;
  if (pid === undefined) {
    await exited;
    return { ok: false, retry: false, error: `cannot start swtpm: ${spawnError?.message ?? "no pid"}` };
  }
  const dir = runDir();
  recordSwtpm(dir, pid, stateDir);
  // A forgotten TPM must not keep a script's event loop alive; the 'exit' hook still kills it.
  child.unref();

  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (!isRunning()) {
      forgetSwtpm(dir, pid);
      const log = tail(logFile, logStart);
      return {
        ok: false,
        retry: isBindFailure(log),
        error: `swtpm (state ${stateDir}, ports ${port}/${ctrlPort}) exited with ${child.exitCode ?? child.signalCode}: ${log}`,
      };
    }
    // Checking that the listening sockets belong to OUR pid (not just that something answers
    // on the port) matters: another worker's swtpm may have won the race for this port.
    if (listensOn(pid, [port, ctrlPort]) && (await accepts(port))) {
      return {
        ok: true,
        tpm: handle(child, pid, port, stateDir, logFile, exited, opts.stopGraceMs ?? 2_000),
      };
    }
    await sleep(10);
  }
  child.kill("SIGKILL");
  await exited;
  forgetSwtpm(dir, pid);
  return {
    ok: false,
    retry: false,
    error: `swtpm did not listen on ${port}/${ctrlPort} in time: ${tail(logFile, logStart)}`,
  };
}

function handle(
  child: ChildProcess,
  pid: number,
  port: number,
  stateDir: string,
  logFile: string,
  exited: Promise<void>,
  graceMs: number,
): SwtpmProcess {
  let stopping: Promise<void> | undefined;
  const dir = runDir();
  const isRunning = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (isRunning()) {
      // child.kill signals only the process we spawned, never anything found by name.
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), graceMs);
      });
      const first = await Promise.race([exited.then(() => "exited" as const), grace]);
      clearTimeout(timer);
      if (first === "timeout") {
        child.kill("SIGKILL");
        await exited;
      }
    }
    forgetSwtpm(dir, pid);
  };
  return {
    host: HOST,
    port,
    ctrlPort: port + 1,
    pid,
    tcti: `swtpm:host=${HOST},port=${port}`,
    stateDir,
    logFile,
    get running() {
      return isRunning();
    },
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** True when each port has a LISTEN socket on 127.0.0.1 whose inode is an open fd of `pid`. */
function listensOn(pid: number, ports: number[]): boolean {
  let table: string;
  let fds: string[];
  try {
    table = readFileSync("/proc/net/tcp", "utf8");
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  return ports.every((port) => {
    const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
    return table.split("\n").some((line) => {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      return f[1] === local && f[3] === "0A" && f[9] !== undefined && inodes.has(f[9]);
    });
  });
}

/** Connect and close at once: proves the data port accepts, leaves swtpm free for the next client. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: HOST, port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

function tail(file: string, from: number, max = 2_000): string {
  try {
    return readFileSync(file).subarray(from).toString("utf8").slice(-max).trim() || "(nothing logged)";
  } catch {
    return "(no log)";
  }
}
