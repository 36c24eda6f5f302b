// The whole pipeline as one scenario (issue 7), run by `npm run demo` and by the end-to-end
// test: a manufacturer PKI, simulated boards, the factory station, a sealed offline bundle,
// the registrar importing it, and the boards' agents registering (or being turned away).
//
// Every step drives the product's own command-line tools as an operator would, as child
// processes, so the scenario checks what ships: the same commands the README shows.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createTestPki, type ExitResult, manufactureTpm, runToExit, type SimTpm } from "../harness/index.js";
import { type BoardPlan, LAYOUT_OF, VENDOR_LABEL } from "./boards.js";

/** How to start each tool: argv prefixes, e.g. ["node", "dist/factory.mjs"]. */
export interface Tools {
  factory: string[];
  registrar: string[];
  agent: string[];
  /** The arm64 executable under qemu; undefined when qemu is not available (arm64 boards then run `agent`). */
  agentArm64?: string[];
}

export interface ScenarioOptions {
  boards: BoardPlan[];
  /** Everything the scenario writes: PKI, TPM state, station key, bundles, registrar DB. */
  outDir: string;
  tools: Tools;
  /** One line per step, for progress. */
  log: (line: string) => void;
  /** Leave the registrar running after the scenario (the caller stops it). */
  keep?: boolean;
}

export interface BoardResult {
  board: BoardPlan;
  /** The path actually taken (arm64 falls back to online without qemu). */
  path: string;
  outcome: "active" | "refused" | "failed";
  /** The agent's exit code, or the step that failed. */
  detail: string;
  seconds: number;
}

export interface ScenarioResult {
  results: BoardResult[];
  /** The registrar's device states at the end, by serial. */
  deviceStates: Record<string, string>;
  registrarUrl: string;
  adminToken: string;
  /** Stops the registrar (when `keep` left it running; a no-op otherwise). */
  stop(): Promise<void>;
}

/** A tool exited non-zero where the scenario needs it to succeed. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
}

const STATION = "line1";

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const { boards, outDir, tools, log } = options;
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const dirs = {
    pki: join(outDir, "pki"),
    tpms: join(outDir, "tpms"),
    station: join(outDir, "station"),
    pending: join(outDir, "bundles", "pending"),
    outgoing: join(outDir, "bundles", "outgoing"),
    registrar: join(outDir, "registrar"),
    agents: join(outDir, "agents"),
    offline: join(outDir, "offline"),
  };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  const db = join(dirs.registrar, "registrar.db");
  const tpms = new Map<string, SimTpm>();
  let server: Server | undefined;

  try {
    log("1/6 manufacturer PKI: vendor A (RSA and ECC intermediates), vendor B, and a rogue CA");
    const pki = await createTestPki(dirs.pki);

    log(`2/6 manufacturing ${boards.length} boards (swtpm)`);
    for (const [i, b] of boards.entries()) {
      tpms.set(
        b.name,
        await manufactureTpm(pki, { layout: LAYOUT_OF[b.vendor], vendor: b.vendor }, dirs.tpms),
      );
      log(`    ${i + 1}/${boards.length} ${b.name}: ${VENDOR_LABEL[b.vendor]}`);
    }

    log("3/6 factory station: keygen, capture-batch, sealed bundle");
    await registrarStep(tools, ["init", "--db", db, "--out", dirs.registrar], "init the registrar");
    await tool(tools.factory, ["keygen", "--station", STATION, "--out", dirs.station], "station keygen");
    const captured = boards.filter((b) => b.kind !== "impostor");
    const csv = [
      "tcti,serial,hw_uuid,model",
      ...captured.map((b) => `"${tpms.get(b.name)!.tcti}",${b.name},,demo`),
    ];
    await writeFile(join(outDir, "boards.csv"), `${csv.join("\n")}\n`);
    const batch = await runTool(tools.factory, [
      "capture-batch",
      "--list",
      join(outDir, "boards.csv"),
      "--key",
      join(dirs.station, `${STATION}.key`),
      "--ca-dir",
      pki.trustedCaDir,
      "--out-dir",
      dirs.pending,
    ]);
    // The rogue-CA board is refused by the station (exit 1), the others captured.
    const refusedAtCapture = captured.filter((b) => b.kind === "rogue").length;
    if (batch.exitCode !== (refusedAtCapture > 0 ? 1 : 0))
      throw new ScenarioError(`capture-batch exited ${batch.exitCode}:\n${batch.stderr}`);
    log(
      `    captured ${captured.length - refusedAtCapture}, refused ${refusedAtCapture} (EK certificate from the rogue CA)`,
    );
    await tool(
      tools.factory,
      [
        "bundle",
        "--key",
        join(dirs.station, `${STATION}.key`),
        "--in",
        dirs.pending,
        "--out-dir",
        dirs.outgoing,
        "--seal-to",
        join(dirs.registrar, "registrar.x25519.pub"),
      ],
      "bundle",
    );
    const bundle = join(dirs.outgoing, `${STATION}-1.bundle.sealed`);

    log("4/6 registrar: trust the CAs and the station, import the bundle, serve on loopback");
    await registrarStep(tools, ["cas", "import", pki.trustedCaDir, "--db", db], "import the CAs");
    await registrarStep(
      tools,
      ["stations", "add", STATION, join(dirs.station, `${STATION}.pub`), "--db", db],
      "trust the station",
    );
    await registrarStep(tools, ["import", bundle, "--db", db], "import the bundle");
    const token = (
      await registrarStep(
        tools,
        [
          "tokens",
          "create",
          "--name",
          "demo",
          "--scopes",
          "devices:read,devices:revoke",
          "--db",
          db,
          "--json",
        ],
        "create an admin token",
      )
    ).token as string;
    for (const b of boards.filter((x) => x.kind === "revoked")) {
      await registrarStep(
        tools,
        ["devices", "revoke", b.name, "--reason", "demo: board reported stolen", "--db", db],
        `revoke ${b.name}`,
      );
      log(`    revoked ${b.name} before its agent runs`);
    }
    server = await serve(tools, db);
    log(`    registrar listening on ${server.url}`);

    log("5/6 the boards' agents register");
    const results: BoardResult[] = [];
    for (const b of boards) {
      const r = await registerBoard(b, tpms.get(b.name)!, { tools, server, db, dirs });
      results.push(r);
      log(
        `    ${b.name}: ${r.outcome} (${r.path}, ${r.seconds.toFixed(1)} s)${r.outcome === "active" ? "" : `: ${r.detail}`}`,
      );
    }

    const deviceStates: Record<string, string> = {};
    const listed = (await registrarStep(
      tools,
      ["devices", "list", "--db", db, "--json"],
      "list devices",
    )) as unknown;
    for (const d of listed as { serial: string; state: string }[]) deviceStates[d.serial] = d.state;

    const running = server;
    const result: ScenarioResult = {
      results,
      deviceStates,
      registrarUrl: running.url,
      adminToken: token,
      stop: () => running.stop(),
    };
    if (!options.keep) {
      await running.stop();
      server = undefined;
    }
    return result;
  } catch (e) {
    await server?.stop();
    server = undefined;
    throw e;
  } finally {
    for (const t of tpms.values()) await t.stop().catch(() => undefined);
  }
}

interface Dirs {
  agents: string;
  offline: string;
  registrar: string;
}

async function registerBoard(
  b: BoardPlan,
  tpm: SimTpm,
  ctx: { tools: Tools; server: Server; db: string; dirs: Dirs },
): Promise<BoardResult> {
  const t0 = performance.now();
  const stateDir = join(ctx.dirs.agents, b.name);
  const common = ["--tcti", tpm.tcti, "--agent-id", b.name, "--state-dir", stateDir, "--ek-alg", b.ekAlg];
  const finish = (path: string, outcome: BoardResult["outcome"], detail: string): BoardResult => ({
    board: b,
    path,
    outcome,
    detail,
    seconds: (performance.now() - t0) / 1000,
  });

  if (b.path === "offline") {
    const req = join(ctx.dirs.offline, `${b.name}.request`);
    const chal = join(ctx.dirs.offline, `${b.name}.challenge`);
    const resp = join(ctx.dirs.offline, `${b.name}.response`);
    const steps: [string[], string][] = [
      [[...ctx.tools.agent, "offline", "request", "--out", req, ...common], "agent offline request"],
      [
        [...ctx.tools.registrar, "offline", "challenge", req, "--out", chal, "--db", ctx.db],
        "registrar offline challenge",
      ],
      [
        [
          ...ctx.tools.agent,
          "offline",
          "activate",
          chal,
          "--registrar-key",
          join(ctx.dirs.registrar, "registrar.ed25519.pub"),
          "--out",
          resp,
          ...common,
        ],
        "agent offline activate",
      ],
      [[...ctx.tools.registrar, "offline", "activate", resp, "--db", ctx.db], "registrar offline activate"],
    ];
    for (const [argv, what] of steps) {
      const r = await runTool(argv, []);
      if (r.exitCode !== 0) return finish("offline", verdict(r), `${what}: ${lastLine(r)}`);
    }
    return finish("offline", "active", "");
  }

  const arm64 = b.path === "arm64" && ctx.tools.agentArm64 !== undefined;
  const agent = arm64 ? ctx.tools.agentArm64! : ctx.tools.agent;
  const r = await runTool(
    agent,
    ["register", "--registrar", ctx.server.url, "--max-wait", "20s", ...common],
    {
      timeoutMs: 180_000,
    },
  );
  const path = arm64 ? "online, arm64 (qemu)" : b.path === "arm64" ? "online (no qemu: x64)" : "online";
  if (r.exitCode === 0) return finish(path, "active", "");
  return finish(path, verdict(r), `exit ${r.exitCode}: ${lastLine(r)}`);
}

/**
 * Exit status 1 is "refused" for the agent (the registrar said no, with its reason) and for the
 * registrar's CLI alike; anything else is a failure of the run (unreachable, TPM error…).
 */
const REFUSED_EXIT = 1;
const verdict = (r: ExitResult): BoardResult["outcome"] =>
  r.exitCode === REFUSED_EXIT ? "refused" : "failed";

const lastLine = (r: ExitResult): string =>
  r.stderr.trim().split("\n").filter(Boolean).at(-1) ?? r.stdout.toString().trim().split("\n").at(-1) ?? "";

function runTool(argv: string[], args: string[], opts: { timeoutMs?: number } = {}): Promise<ExitResult> {
  const [program, ...rest] = argv;
  return runToExit(program!, [...rest, ...args], { timeoutMs: opts.timeoutMs ?? 120_000 });
}

async function tool(argv: string[], args: string[], what: string): Promise<ExitResult> {
  const r = await runTool(argv, args);
  if (r.exitCode !== 0) throw new ScenarioError(`${what} failed (exit ${r.exitCode}):\n${r.stderr}`);
  return r;
}

/** A registrar subcommand; its stdout parsed as JSON when it printed some. */
async function registrarStep(tools: Tools, args: string[], what: string): Promise<Record<string, unknown>> {
  const r = await tool(tools.registrar, args, what);
  const out = r.stdout.toString().trim();
  return out.startsWith("{") || out.startsWith("[") ? JSON.parse(out) : {};
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** `registrar serve` on a free loopback port; resolves once it says where it listens. */
async function serve(tools: Tools, db: string): Promise<Server> {
  const [program, ...rest] = tools.registrar;
  const child: ChildProcess = spawn(program!, [...rest, "serve", "--db", db, "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http\S+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new ScenarioError(`registrar serve exited ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once("exit", () => done());
        child.kill("SIGTERM");
      }),
  };
}
