// The agent's settings (DESIGN §7), from three sources: command-line flags win over
// EDGE_AGENT_* environment variables, which win over the JSON config file (--config FILE or
// EDGE_AGENT_CONFIG). The endorsement hierarchy's auth never comes from a flag's value: a
// command line is visible to every user of the machine (ps, /proc/PID/cmdline).
import { readFileSync } from "node:fs";
import { parseDuration } from "../../shared/cli/duration.js";
import { parseTcti } from "../../shared/tpm/transport/tcti.js";
import { ConfigError, messageOf } from "../errors.js";

export type EkAlgChoice = "auto" | "rsa" | "ecc";

export interface AgentConfig {
  /** Base URL of the registrar, e.g. https://registrar.example:8891. Undefined when not configured. */
  registrar: string | undefined;
  tcti: string;
  /** A literal id or a strategy name (hash_ek, dmi, devicetree, hostname). */
  agentId: string;
  stateDir: string;
  ekAlg: EkAlgChoice;
  /** The endorsement hierarchy's auth value; undefined means the empty auth. */
  endorsementAuth: Uint8Array | undefined;
  /** PEM file of the CA that signed the registrar's TLS certificate (https URLs). */
  registrarCa: string | undefined;
  /** PEM file of the registrar's Ed25519 public key (offline challenges). */
  registrarKey: string | undefined;
  /** Milliseconds to keep retrying an unreachable registrar. */
  maxWaitMs: number;
  /** A persistent EK handle to use instead of creating the EK from its template. */
  ekHandle: number | undefined;
  /** What the agent tells the registrar as its contact address (keylime's ip and port). */
  contactIp: string;
  contactPort: number;
}

/** The settings, by the key they have in the config file; flags and variables map onto these. */
export const SETTINGS = {
  registrar: { flag: "registrar", env: "EDGE_AGENT_REGISTRAR" },
  tcti: { flag: "tcti", env: "EDGE_AGENT_TCTI" },
  agent_id: { flag: "agent-id", env: "EDGE_AGENT_AGENT_ID" },
  state_dir: { flag: "state-dir", env: "EDGE_AGENT_STATE_DIR" },
  ek_alg: { flag: "ek-alg", env: "EDGE_AGENT_EK_ALG" },
  endorsement_auth_file: { flag: "endorsement-auth-file", env: "EDGE_AGENT_ENDORSEMENT_AUTH_FILE" },
  registrar_ca: { flag: "registrar-ca", env: "EDGE_AGENT_REGISTRAR_CA" },
  registrar_key: { flag: "registrar-key", env: "EDGE_AGENT_REGISTRAR_KEY" },
  max_wait: { flag: "max-wait", env: "EDGE_AGENT_MAX_WAIT" },
  ek_handle: { flag: undefined, env: "EDGE_AGENT_EK_HANDLE" },
  contact_ip: { flag: undefined, env: "EDGE_AGENT_CONTACT_IP" },
  contact_port: { flag: undefined, env: "EDGE_AGENT_CONTACT_PORT" },
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** Holds the auth value itself; read only from the environment, never from a flag or the file. */
export const ENDORSEMENT_AUTH_ENV = "EDGE_AGENT_ENDORSEMENT_AUTH";
export const CONFIG_ENV = "EDGE_AGENT_CONFIG";

export const DEFAULTS = {
  tcti: "device",
  agent_id: "hash_ek",
  state_dir: "/var/lib/edge-agent",
  ek_alg: "auto",
  max_wait: "5m",
  contact_ip: "127.0.0.1",
  contact_port: "9002",
} as const;

export const AGENT_ID_STRATEGIES = ["hash_ek", "dmi", "devicetree", "hostname"] as const;

export interface ConfigSources {
  /** Flag values by flag name (only those given on the command line). */
  flags: Partial<Record<string, string>>;
  env: NodeJS.ProcessEnv;
  /** --config FILE, if given. */
  configFile: string | undefined;
  command: string;
}

function fail(message: string, command: string): never {
  const e = new ConfigError("CONFIG_INVALID", message);
  e.command = command;
  throw e;
}

/** Reads the JSON config file: an object whose keys are SETTINGS keys, with string or number values. */
function readConfigFile(path: string, command: string): Partial<Record<SettingKey, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    fail(`cannot read the config file ${path}: ${messageOf(e)}`, command);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    fail(`the config file ${path} must hold one JSON object`, command);
  const out: Partial<Record<SettingKey, string>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === "endorsement_auth")
      fail(
        `the config file ${path} may not hold the endorsement auth itself; name a file holding it with "endorsement_auth_file"`,
        command,
      );
    if (!(key in SETTINGS))
      fail(
        `the config file ${path} has an unknown key "${key}"; known keys: ${Object.keys(SETTINGS).join(", ")}`,
        command,
      );
    if (typeof value !== "string" && typeof value !== "number")
      fail(`the config file ${path}: "${key}" must be a string or a number`, command);
    out[key as SettingKey] = String(value);
  }
  return out;
}

/** Endorsement auth text: "hex:0011…" for binary values, otherwise the UTF-8 bytes of the text. */
function authBytes(text: string, where: string, command: string): Uint8Array {
  if (text.startsWith("hex:")) {
    const hex = text.slice(4);
    if (!/^([0-9a-fA-F]{2})*$/.test(hex))
      fail(`${where}: "hex:" must be followed by pairs of hex digits`, command);
    return new Uint8Array(Buffer.from(hex, "hex"));
  }
  return new Uint8Array(Buffer.from(text, "utf8"));
}

function readAuthFile(path: string, command: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    fail(`cannot read the endorsement auth file ${path}: ${messageOf(e)}`, command);
  }
  // One trailing newline is what `echo secret > file` adds, not part of the secret.
  return authBytes(text.replace(/\r?\n$/, ""), `the endorsement auth file ${path}`, command);
}

function parseRegistrarUrl(text: string, command: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(`registrar URL "${text}" is not a URL; use e.g. http://registrar.example:8890`, command);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    fail(`registrar URL "${text}" must start with http:// or https://`, command);
  return text.replace(/\/+$/, "");
}

function parseEkHandle(text: string, command: string): number {
  const n = /^0x[0-9a-fA-F]{8}$/.test(text) ? Number.parseInt(text, 16) : Number.NaN;
  if (!(n >= 0x81000000 && n <= 0x81ffffff))
    fail(`EK handle "${text}" is not a persistent handle (0x81000000–0x81FFFFFF, e.g. 0x81010001)`, command);
  return n;
}

/** Merges the sources into a checked configuration; throws ConfigError naming the bad source. */
export function resolveConfig(sources: ConfigSources): AgentConfig {
  const { flags, env, command } = sources;
  const configPath = sources.configFile ?? env[CONFIG_ENV];
  const file = configPath ? readConfigFile(configPath, command) : {};

  /** The value and where it came from, for messages. */
  const get = (key: SettingKey): { value: string; from: string } | undefined => {
    const spec = SETTINGS[key];
    if (spec.flag && flags[spec.flag] !== undefined)
      return { value: flags[spec.flag]!, from: `--${spec.flag}` };
    if (env[spec.env] !== undefined && env[spec.env] !== "") return { value: env[spec.env]!, from: spec.env };
    if (file[key] !== undefined) return { value: file[key]!, from: `"${key}" in ${configPath}` };
    return undefined;
  };
  const withDefault = (key: keyof typeof DEFAULTS & SettingKey) =>
    get(key) ?? { value: DEFAULTS[key], from: `the default of ${key}` };

  const registrar = get("registrar");
  const tcti = withDefault("tcti");
  try {
    parseTcti(tcti.value);
  } catch (e) {
    fail(`${tcti.from}: ${messageOf(e)}`, command);
  }
  const ekAlg = withDefault("ek_alg");
  if (!["auto", "rsa", "ecc"].includes(ekAlg.value))
    fail(`${ekAlg.from}: "${ekAlg.value}" is not an EK algorithm; use auto, rsa or ecc`, command);
  const maxWait = withDefault("max_wait");
  let maxWaitMs: number;
  try {
    maxWaitMs = parseDuration(maxWait.value, maxWait.from, command);
  } catch (e) {
    fail(messageOf(e), command);
  }
  const port = withDefault("contact_port");
  if (!/^[0-9]{1,5}$/.test(port.value) || Number(port.value) > 65535)
    fail(`${port.from}: "${port.value}" is not a port number`, command);
  const agentId = withDefault("agent_id");
  if (agentId.value === "") fail(`${agentId.from}: the agent id may not be empty`, command);

  let endorsementAuth: Uint8Array | undefined;
  const authFile = get("endorsement_auth_file");
  if (authFile) endorsementAuth = readAuthFile(authFile.value, command);
  else if (env[ENDORSEMENT_AUTH_ENV] !== undefined)
    endorsementAuth = authBytes(env[ENDORSEMENT_AUTH_ENV], ENDORSEMENT_AUTH_ENV, command);

  const ekHandle = get("ek_handle");
  return {
    registrar: registrar ? parseRegistrarUrl(registrar.value, command) : undefined,
    tcti: tcti.value,
    agentId: agentId.value,
    stateDir: withDefault("state_dir").value,
    ekAlg: ekAlg.value as EkAlgChoice,
    endorsementAuth,
    registrarCa: get("registrar_ca")?.value,
    registrarKey: get("registrar_key")?.value,
    maxWaitMs,
    ekHandle: ekHandle ? parseEkHandle(ekHandle.value, command) : undefined,
    contactIp: withDefault("contact_ip").value,
    contactPort: Number(port.value),
  };
}
