// Argument handling shared by the registrar's commands: node:util parseArgs in strict mode,
// with its errors turned into usage errors (exit 2) that name the command and point at --help.
import { parseArgs } from "node:util";

/** Exit statuses of every registrar command (documented in each --help and in the README). */
export const EXIT = {
  /** Everything checked was accepted. */
  ok: 0,
  /** Something was checked and refused (an EK certificate that does not verify, a file that is not one). */
  rejected: 1,
  /** The command line is wrong, or an input could not be read at all. */
  usage: 2,
  /** A bug: an error nobody anticipated. The message says so. */
  internal: 3,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

/** A mistake on the command line: printed with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "CLI_USAGE";
  /** The command it concerns ("ekcert verify"), so the message can point at its --help. */
  readonly command: string;
  constructor(message: string, command = "") {
    super(message);
    this.command = command;
  }
}

/** Where a command writes: the process's streams in production, buffers in unit tests. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => {
    process.stdout.write(text);
  },
  err: (text) => {
    process.stderr.write(text);
  },
};

type OptionSpec = { type: "string" | "boolean"; short?: string; multiple?: boolean };

/** parseArgs (strict, positionals allowed) with its ERR_PARSE_ARGS_* errors as UsageErrors. */
export function parseCommandArgs<const O extends Record<string, OptionSpec>>(
  command: string,
  argv: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
      throw new UsageError((error as Error).message, command);
    }
    throw error;
  }
}

/** True when the arguments ask for help (before any "--" terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/**
 * An ISO 8601 date or date-time: `2026-06-01`, `2026-06-01T12:00:00Z`, `2026-06-01T12:00+02:00`.
 * A date alone, or a time without an offset, is taken as UTC so the answer does not depend on
 * the machine's time zone.
 */
export function parseIsoDate(text: string, option: string, command = ""): Date {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(
      text,
    );
  if (!m) {
    throw new UsageError(
      `${option} "${text}" is not an ISO 8601 date or date-time (e.g. 2026-06-01 or 2026-06-01T12:00:00Z)`,
      command,
    );
  }
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
  const offset = zone.toUpperCase() === "Z" ? "Z" : zone.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = frac ? frac.slice(0, 4).padEnd(4, "0") : "";
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${ms}${offset}`);
  // Date would roll 2026-02-30 over into March, and accept hour 24: check the fields survive.
  const probe = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  const fieldsValid =
    probe.getUTCFullYear() === Number(y) &&
    probe.getUTCMonth() === Number(mo) - 1 &&
    probe.getUTCDate() === Number(d) &&
    Number(h) < 24 &&
    Number(mi) < 60 &&
    Number(s) < 60;
  if (Number.isNaN(date.getTime()) || !fieldsValid) {
    throw new UsageError(`${option} "${text}" is not a valid date`, command);
  }
  return date;
}

/**
 * Runs one command line of a CLI: usage errors become a message and the usage exit status,
 * anything unexpected an "internal error" with its stack. The caller sets the process exit
 * status from the result.
 */
export async function runCommandLine(
  name: string,
  program: string,
  argv: readonly string[],
  io: Io,
  dispatch: (argv: readonly string[], io: Io) => Promise<ExitStatus>,
): Promise<ExitStatus> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      const where = error.command ? ` ${error.command}` : "";
      io.err(`${name}${where}: ${error.message}\nRun '${program}${where} --help' for usage.\n`);
      return EXIT.usage;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.err(`${name}: internal error (please report it):\n${message}\n`);
    return EXIT.internal;
  }
}
