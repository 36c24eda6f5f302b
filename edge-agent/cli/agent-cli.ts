// The agent's command line: `register`, `status`, `offline request|activate`, `--version`,
// `--help` at every level. Each command parses its flags strictly (node:util parseArgs),
// merges them with the environment and the config file (config/config.ts), runs, and maps the
// outcome to an exit status (errors.ts EXIT). Messages go to stderr; results (and --json
// objects) to stdout.
import { parseArgs } from "node:util";
import { type AgentConfig, resolveConfig } from "../config/config.js";
import {
  ConfigError,
  EXIT,
  type ExitStatus,
  isAgentError,
  messageOf,
  RegistrarRefusedError,
} from "../errors.js";
import { offlineActivate, offlineRequest } from "../register/offline.js";
import { registerOnline } from "../register/online.js";
import { type AgentState, readState, statePath } from "../state/state-file.js";
import { AGENT_VERSION } from "../version.js";
import {
  MAIN_HELP,
  OFFLINE_ACTIVATE_HELP,
  OFFLINE_HELP,
  OFFLINE_REQUEST_HELP,
  PROGRAM,
  REGISTER_HELP,
  STATUS_HELP,
} from "./help.js";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

/** Flags shared by every command that touches the TPM (see help.ts). */
const SETTING_FLAGS = {
  config: { type: "string" },
  registrar: { type: "string" },
  tcti: { type: "string" },
  "agent-id": { type: "string" },
  "state-dir": { type: "string" },
  "ek-alg": { type: "string" },
  "endorsement-auth-file": { type: "string" },
  "registrar-ca": { type: "string" },
  "registrar-key": { type: "string" },
  "max-wait": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const OUT_FLAG = { out: { type: "string" } } as const;

type Parsed = { values: Record<string, string | boolean | undefined>; positionals: string[] };

function usage(message: string, command: string): ConfigError {
  const e = new ConfigError("CLI_USAGE", message);
  e.command = command;
  return e;
}

function parse(
  command: string,
  argv: readonly string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
): Parsed {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as Parsed;
  } catch (e) {
    throw usage(messageOf(e), command);
  }
}

function configFrom(parsed: Parsed, io: Io, command: string): AgentConfig {
  const flags: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.values)) if (typeof v === "string") flags[k] = v;
  return resolveConfig({ flags, env: io.env, configFile: flags["config"], command });
}

function expectPositionals(parsed: Parsed, count: number, command: string, what: string): void {
  if (parsed.positionals.length !== count)
    throw usage(
      count === 0
        ? `unexpected argument "${parsed.positionals[0]}"`
        : `expected ${what}, got ${parsed.positionals.length} argument(s)`,
      command,
    );
}

function requireOut(parsed: Parsed, command: string, what: string): string {
  const out = parsed.values["out"];
  if (typeof out !== "string" || out === "")
    throw usage(`--out is required: where to write ${what}`, command);
  return out;
}

const printJson = (io: Io, value: unknown) => io.out(`${JSON.stringify(value)}\n`);

async function register(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const command = "register";
  const parsed = parse(command, argv, SETTING_FLAGS);
  if (parsed.values["help"]) return help(io, REGISTER_HELP);
  expectPositionals(parsed, 0, command, "");
  const config = configFrom(parsed, io, command);
  const result = await registerOnline(config, (line) => io.err(`${PROGRAM}: ${line}\n`));
  if (parsed.values["json"]) printJson(io, { status: "active", ...result });
  else
    io.out(
      `agent ${result.agent_id} registered and active at ${result.registrar} (API ${result.api_version}; ${result.ek_template} EK ${result.ek_pub_sha256.slice(0, 16)}…, ${result.ak_reused ? "AK reused" : "new AK"})\n`,
    );
  return EXIT.ok;
}

/** "active", "registered" (POST accepted, not activated), "offline-request", "offline-response", or "none". */
function phase(state: AgentState | undefined): string {
  if (!state) return "none";
  if (state.activated_at) return "active";
  if (state.registered_at) return "registered";
  if (state.offline?.response_at) return "offline-response";
  if (state.offline) return "offline-request";
  return "none";
}

async function status(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const command = "status";
  const parsed = parse(command, argv, {
    config: { type: "string" },
    "state-dir": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (parsed.values["help"]) return help(io, STATUS_HELP);
  expectPositionals(parsed, 0, command, "");
  const config = configFrom(parsed, io, command);
  const state = await readState(config.stateDir);
  const p = phase(state);
  const active = p === "active";
  if (parsed.values["json"]) {
    printJson(io, {
      registered: state?.registered_at != null,
      active,
      phase: p,
      state_file: statePath(config.stateDir),
      ...(state ?? {}),
    });
  } else if (!state) {
    io.out(`not registered: ${statePath(config.stateDir)} does not exist (run '${PROGRAM} register')\n`);
  } else {
    const lines = [
      `agent id:      ${state.agent_id}`,
      `registrar:     ${state.registrar}`,
      `state:         ${p}`,
      `EK:            ${state.ek_template}, ek_pub_sha256 ${state.ek_pub_sha256}`,
      `AK:            ${state.ak_file} (name ${state.ak_name})`,
      `registered at: ${state.registered_at ?? "-"}`,
      `activated at:  ${state.activated_at ?? "-"}`,
    ];
    if (state.offline) {
      lines.push(`offline request:  ${state.offline.request_file} at ${state.offline.request_at}`);
      lines.push(
        `offline response: ${state.offline.response_file ?? "-"}${state.offline.response_at ? ` at ${state.offline.response_at}` : ""}`,
      );
    }
    io.out(`${lines.join("\n")}\n`);
  }
  return active ? EXIT.ok : EXIT.notRegistered;
}

async function offline(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h") return help(io, OFFLINE_HELP);
  if (sub === undefined) throw usage("a command is required: request or activate", "offline");
  if (sub === "request") {
    const command = "offline request";
    const parsed = parse(command, rest, { ...SETTING_FLAGS, ...OUT_FLAG });
    if (parsed.values["help"]) return help(io, OFFLINE_REQUEST_HELP);
    expectPositionals(parsed, 0, command, "");
    const out = requireOut(parsed, command, "the request file");
    const result = await offlineRequest(configFrom(parsed, io, command), out);
    if (parsed.values["json"]) printJson(io, { status: "requested", ...result });
    else
      io.out(
        `offline request for agent ${result.agent_id} written to ${result.out}; take it to the registrar\n`,
      );
    return EXIT.ok;
  }
  if (sub === "activate") {
    const command = "offline activate";
    const parsed = parse(command, rest, { ...SETTING_FLAGS, ...OUT_FLAG });
    if (parsed.values["help"]) return help(io, OFFLINE_ACTIVATE_HELP);
    expectPositionals(parsed, 1, command, "one challenge file CHAL");
    const out = requireOut(parsed, command, "the response file");
    const result = await offlineActivate(configFrom(parsed, io, command), parsed.positionals[0]!, out);
    if (parsed.values["json"]) printJson(io, { status: "responded", ...result });
    else
      io.out(
        `offline response for agent ${result.agent_id} written to ${result.out}; take it to the registrar\n`,
      );
    return EXIT.ok;
  }
  throw usage(`unknown command "${sub}"; use request or activate`, "offline");
}

function help(io: Io, text: string): ExitStatus {
  io.out(text);
  return EXIT.ok;
}

const COMMANDS: Record<string, (argv: readonly string[], io: Io) => Promise<ExitStatus>> = {
  register,
  status,
  offline,
};

/** Reports a failure: the message on stderr, and with --json one object on stdout too. */
function report(e: unknown, argv: readonly string[], io: Io): ExitStatus {
  const json = argv.includes("--json");
  if (isAgentError(e)) {
    if (e instanceof ConfigError && e.code === "CLI_USAGE") {
      const where = e.command ? ` ${e.command}` : "";
      io.err(`${PROGRAM}${where}: ${e.message}\nRun '${PROGRAM}${where} --help' for usage.\n`);
    } else if (e instanceof RegistrarRefusedError) {
      io.err(`${PROGRAM}: refused: ${e.message}\n`);
    } else {
      io.err(`${PROGRAM}: ${e.message}${e.code ? ` [${e.code}]` : ""}\n`);
    }
    if (json)
      printJson(io, {
        status: "error",
        exit_status: e.exit,
        error: e.code,
        message: e.message,
        ...(e instanceof RegistrarRefusedError ? { http_status: e.httpStatus, reason: e.reason } : {}),
      });
    return e.exit;
  }
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  io.err(`${PROGRAM}: internal error (please report it):\n${message}\n`);
  if (json)
    printJson(io, { status: "error", exit_status: EXIT.internal, error: "INTERNAL", message: messageOf(e) });
  return EXIT.internal;
}

export async function runAgent(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === "--help" || first === "-h" || first === "help")
      return help(io, MAIN_HELP);
    if (first === "--version" || first === "-V") {
      io.out(`${PROGRAM} ${AGENT_VERSION}\n`);
      return EXIT.ok;
    }
    const command = COMMANDS[first];
    if (!command) throw usage(`unknown command "${first}"; use register, status or offline`, "");
    return await command(rest, io);
  } catch (e) {
    return report(e, argv, io);
  }
}
