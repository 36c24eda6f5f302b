// The registrar's command line: `npm run registrar -- <command> …`. This module only routes;
// each command lives in commands/ and is imported when it runs, so `--help` answers without
// loading the database or certificate code.
import {
  EXIT,
  type ExitStatus,
  type Io,
  runCommandLine,
  UsageError,
  wantsHelp,
} from "../../shared/cli/args.js";
import {
  AUDIT_HELP,
  CAS_HELP,
  DEVICES_HELP,
  EKCERT_HELP,
  INIT_HELP,
  MAIN_HELP,
  PROGRAM,
  SERVE_HELP,
  STATIONS_HELP,
  TOKENS_HELP,
  VERIFY_HELP,
} from "./help.js";

type Handler = (argv: readonly string[], io: Io) => Promise<ExitStatus>;

interface Route {
  /** The command's --help text, or how to load it (for commands whose help lives with them). */
  help: string | (() => Promise<string>);
  load: () => Promise<Handler>;
}

const ROUTES: Record<string, Route> = {
  init: { help: INIT_HELP, load: async () => (await import("./commands/init.js")).initCommand },
  serve: { help: SERVE_HELP, load: async () => (await import("./commands/serve.js")).serveCommand },
  cas: { help: CAS_HELP, load: async () => (await import("./commands/cas.js")).casCommand },
  stations: {
    help: STATIONS_HELP,
    load: async () => (await import("./commands/stations.js")).stationsCommand,
  },
  import: {
    help: async () => (await import("./commands/import.js")).IMPORT_HELP,
    load: async () => (await import("./commands/import.js")).importCommand,
  },
  devices: { help: DEVICES_HELP, load: async () => (await import("./commands/devices.js")).devicesCommand },
  tokens: { help: TOKENS_HELP, load: async () => (await import("./commands/tokens.js")).tokensCommand },
  offline: {
    help: async () => (await import("./commands/offline.js")).OFFLINE_HELP,
    load: async () => (await import("./commands/offline.js")).offlineCommand,
  },
  audit: { help: AUDIT_HELP, load: async () => (await import("./commands/audit.js")).auditCommand },
};

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
  const route = ROUTES[command];
  if (route) {
    if (wantsHelp(rest)) {
      io.out(typeof route.help === "string" ? route.help : await route.help());
      return EXIT.ok;
    }
    const handler = await route.load();
    try {
      return await handler(rest, io);
    } catch (e) {
      // A refusal the registrar explains (no such device, station already trusted…): the
      // message is for the operator, not a bug report.
      const { domainError } = await import("../api/domain-errors.js");
      if (!domainError(e)) throw e;
      io.err(`registrar ${command}: ${(e as Error).message}\n`);
      return EXIT.rejected;
    }
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
