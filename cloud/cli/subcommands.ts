// Commands with subcommands (`cas import`, `devices revoke`…): route by the first word.
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../shared/cli/args.js";

export type SubcommandTable = Record<string, (argv: readonly string[], io: Io) => Promise<ExitStatus>>;

export async function runSubcommand(
  command: string,
  argv: readonly string[],
  io: Io,
  help: string,
  table: SubcommandTable,
): Promise<ExitStatus> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    io.err(help);
    return EXIT.usage;
  }
  const run = table[sub];
  if (!run)
    throw new UsageError(`unknown command '${sub}' (one of: ${Object.keys(table).join(", ")})`, command);
  return run(rest, io);
}

/** Epoch seconds as an ISO date-time, for listings. */
export const isoTime = (seconds: number | null): string =>
  seconds === null ? "-" : new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** parseCommandArgs, plus exactly `count` positional arguments (`what` says which). */
export function argsWith<const O extends Parameters<typeof parseCommandArgs>[2]>(
  command: string,
  argv: readonly string[],
  options: O,
  count: number,
  what = "",
) {
  const parsed = parseCommandArgs(command, argv, options);
  if (parsed.positionals.length !== count)
    throw new UsageError(
      parsed.positionals.length > count
        ? `unexpected argument '${parsed.positionals[count]}'`
        : `expected ${what}`,
      command,
    );
  return parsed;
}
