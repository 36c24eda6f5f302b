// The factory station's command line: `npm run factory -- <command> …`. This module only
// routes; each command lives in commands/ and is imported when it runs, so `--help` and the
// commands that are not built yet answer without loading the TPM or signing code. The
// argument helpers and exit statuses are shared with the registrar CLI (shared/cli/args.ts).
import {
  EXIT,
  type ExitStatus,
  type Io,
  runCommandLine,
  UsageError,
  wantsHelp,
} from "../../shared/cli/args.js";
import {
  BUNDLE_HELP,
  CAPTURE_BATCH_HELP,
  CAPTURE_HELP,
  INSPECT_HELP,
  KEYGEN_HELP,
  MAIN_HELP,
  NOT_BUILT,
  PROGRAM,
} from "./help.js";

/** Runs one command line; the caller sets the process exit status from the result. */
export function runFactory(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runCommandLine("factory", PROGRAM, argv, io, dispatch);
}

const COMMANDS: Record<string, { help: string; run: () => Promise<Command> }> = {
  keygen: { help: KEYGEN_HELP, run: async () => (await import("./commands/keygen.js")).keygen },
  capture: { help: CAPTURE_HELP, run: async () => (await import("./commands/capture.js")).capture },
  "capture-batch": {
    help: CAPTURE_BATCH_HELP,
    run: async () => (await import("./commands/capture-batch.js")).captureBatch,
  },
  inspect: { help: INSPECT_HELP, run: async () => (await import("./commands/inspect.js")).inspect },
  bundle: { help: BUNDLE_HELP, run: async () => (await import("./commands/bundle.js")).bundle },
};

type Command = (argv: readonly string[], io: Io) => Promise<ExitStatus>;

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
  const known = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (known) {
    if (wantsHelp(rest)) {
      io.out(known.help);
      return EXIT.ok;
    }
    return (await known.run())(rest, io);
  }
  const later = NOT_BUILT.find((c) => c.name === command);
  if (later) {
    io.err(
      `factory ${command}: not built yet. It will ${later.summary}.\n` +
        `Available now: keygen, capture, capture-batch, inspect. Run '${PROGRAM} --help' for the list.\n`,
    );
    return EXIT.usage;
  }
  if (command.startsWith("-")) throw new UsageError(`unknown option '${command}' (expected a command first)`);
  throw new UsageError(`unknown command '${command}'`);
}
