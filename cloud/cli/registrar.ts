// The registrar's command line: `npm run registrar -- <command> …`. This module only routes;
// each command lives in commands/ and is imported when it runs, so `--help` and the commands
// that are not built yet answer without loading the certificate code.
import {
  EXIT,
  type ExitStatus,
  type Io,
  runCommandLine,
  UsageError,
  wantsHelp,
} from "../../shared/cli/args.js";
import { EKCERT_HELP, MAIN_HELP, NOT_BUILT, PROGRAM, VERIFY_HELP } from "./help.js";

/** Runs one command line; the caller sets the process exit status from the result. */
export function runRegistrar(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runCommandLine("registrar", PROGRAM, argv, io, dispatch);
}

async function dispatch(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    io.err(MAIN_HELP);
    return EXIT.usage;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    io.out(MAIN_HELP);
    return EXIT.ok;
  }
  if (command === "ekcert") return ekcert(rest, io);
  const later = NOT_BUILT.find((c) => c.name === command);
  if (later) {
    io.err(
      `registrar ${command}: not built yet. It will ${later.summary}, once its issue lands.\n` +
        `Available now: ${PROGRAM} ekcert verify. Run '${PROGRAM} --help' for the list.\n`,
    );
    return EXIT.usage;
  }
  if (command.startsWith("-")) throw new UsageError(`unknown option '${command}' (expected a command first)`);
  throw new UsageError(`unknown command '${command}'`);
}

async function ekcert(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    io.err(EKCERT_HELP);
    return EXIT.usage;
  }
  if (sub === "--help" || sub === "-h" || sub === "help") {
    io.out(EKCERT_HELP);
    return EXIT.ok;
  }
  if (sub === "verify") {
    if (wantsHelp(rest)) {
      io.out(VERIFY_HELP);
      return EXIT.ok;
    }
    const { ekcertVerify } = await import("./commands/ekcert-verify.js");
    return ekcertVerify(rest, io);
  }
  io.err(`registrar ekcert: unknown command '${sub}'\nRun '${PROGRAM} ekcert --help' for usage.\n`);
  return EXIT.usage;
}
