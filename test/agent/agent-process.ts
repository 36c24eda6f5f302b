// Test helpers for the edge agent: run it as a real child process (node --import tsx, as
// `npm run agent` does), and pre-register a harness TPM's EK certificate with a test
// registrar through its admin API (POST /api/v1/tpm-endorsements), as an operator would.

import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ExitResult, runDir, type SimTpm, type TestRegistrar } from "../harness/index.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MAIN = join(ROOT, "edge-agent/cli/main.ts");

/** Exit statuses as documented in the agent's --help and the README (not imported from the agent). */
export const AGENT_EXIT = {
  ok: 0,
  refused: 1,
  usage: 2,
  unreachable: 4,
  tpm: 5,
  badAnswer: 6,
  notRegistered: 7,
} as const;

export interface AgentRun extends ExitResult {
  /** stdout as text. */
  out: string;
  /** The JSON object on stdout, when --json was given and one was printed. */
  json: Record<string, unknown> | undefined;
  ms: number;
}

/** A running agent: its stderr so far, a way to signal it, and its end. */
export interface RunningAgent {
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
  done: Promise<AgentRun>;
}

/** Starts `edge-agent ARGS` with only EDGE_AGENT_* variables from `env` (none inherited). */
export function startAgent(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): RunningAgent {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(childEnv)) if (k.startsWith("EDGE_AGENT_")) delete childEnv[k];
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    env: { ...childEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on("data", (b: Buffer) => out.push(b));
  child.stderr.on("data", (b: Buffer) => err.push(b));
  const done = new Promise<AgentRun>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      const text = stdout.toString("utf8");
      const last = text.trim().split("\n").pop();
      const json =
        args.includes("--json") && last?.startsWith("{")
          ? (JSON.parse(last) as Record<string, unknown>)
          : undefined;
      resolve({
        stdout,
        stderr: Buffer.concat(err).toString("utf8"),
        exitCode,
        signal,
        out: text,
        json,
        ms: Date.now() - started,
      });
    });
  });
  return { stderr: () => Buffer.concat(err).toString("utf8"), kill: (signal) => child.kill(signal), done };
}

/** Runs `edge-agent ARGS` to its end. */
export function agent(
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<AgentRun> {
  return startAgent(args, env, timeoutMs).done;
}

/** What a failed run printed, for assertion messages. */
export const shown = (r: AgentRun): string => `exit ${r.exitCode}\nstdout: ${r.out}\nstderr: ${r.stderr}`;

export const stateDir = (): Promise<string> => mkdtemp(join(runDir(), "agent-state-"));

/** The TPM's EK certificate for an algorithm family, DER. */
export function ekCert(sim: SimTpm, family: "rsa" | "ecc"): Uint8Array {
  const ek = sim.eks.find((e) => (family === "rsa") === (e.alg === "rsa2048") && e.certDer);
  if (!ek?.certDer) throw new Error(`${sim.tcti} has no ${family} EK certificate`);
  return ek.certDer;
}

/** Pre-registers each EK certificate of `sim` through the registrar's tpm-endorsements API. */
export async function preRegister(reg: TestRegistrar, sim: SimTpm): Promise<void> {
  const token = await reg.token(["devices:write"]);
  for (const ek of sim.eks) {
    if (!ek.certDer) continue;
    const res = await fetch(`${reg.url}/api/v1/tpm-endorsements`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        certificate: Buffer.from(ek.certDer).toString("base64"),
        comment: "agent test",
      }),
    });
    if (res.status !== 201) throw new Error(`pre-registration failed: ${res.status} ${await res.text()}`);
  }
}

/** GET /v2.1/agents/{id} with an admin token: the registrar's view of an agent. */
export async function registrarView(
  reg: TestRegistrar,
  agentId: string,
): Promise<{ status: number; results: Record<string, unknown> }> {
  const token = await reg.token(["devices:read"]);
  const res = await fetch(`${reg.url}/v2.1/agents/${agentId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as { results: Record<string, unknown> };
  return { status: res.status, results: body.results };
}
