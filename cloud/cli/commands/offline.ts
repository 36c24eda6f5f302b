// `registrar offline challenge REQ --out CHAL` and `registrar offline activate RESP`
// (DESIGN §5): offline registration through files, for devices with no path to the registrar.
import { readFile, writeFile } from "node:fs/promises";
import { EXIT, type ExitStatus, type Io, UsageError } from "../../../shared/cli/args.js";
import { OfflineFileError } from "../../../shared/formats/offline.js";
import { activateOffline, issueOfflineChallenge } from "../../offline/offline.js";
import { RegistrationError } from "../../registration/index.js";
import { cliActor, DB_OPTIONS, withRegistrar } from "../database.js";
import { PROGRAM } from "../help.js";
import { argsWith, isoTime, runSubcommand } from "../subcommands.js";

export const OFFLINE_HELP = `Usage: ${PROGRAM} offline <command> [--db FILE] [--json]

Offline registration, for a device with no network path to the registrar. The agent writes a
request file (edge-agent offline request), the registrar answers with a challenge file signed
by its Ed25519 key, the agent activates it in its TPM and writes a response file, which the
registrar checks. The same admission policy applies as online. A session expires after 7 days
(serve --offline-ttl sets another lifetime for challenges issued through the API).

Commands:
  challenge REQ --out CHAL   admit the request file REQ and write the challenge file CHAL
  activate RESP              check the response file RESP: the agent becomes active

Options:
  --db FILE      the registrar database (default ./registrar.db); 'registrar init' must have
                 made the registrar's keys
  --out FILE     (challenge) where to write the challenge; an existing file is not replaced
  --json         print the outcome as JSON
  -h, --help     show this help

Exit status:
  0  challenge written / agent activated
  1  refused (not pre-registered, revoked, expired or used session, wrong auth_tag…): the
     message says why
  2  usage error, or a file or database that cannot be read
  3  internal error (a bug: please report it with the message)
`;

const OPTIONS = { ...DB_OPTIONS, json: { type: "boolean" }, out: { type: "string" } } as const;
const MAX_FILE_BYTES = 1024 * 1024;

async function readSmall(path: string, command: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`, command);
  }
  if (bytes.length > MAX_FILE_BYTES) throw new UsageError(`${path} is larger than any offline file`, command);
  return new Uint8Array(bytes);
}

/** A refusal the operator must act on: printed, exit 1. */
function refusal(e: unknown, command: string, io: Io): ExitStatus {
  if (e instanceof RegistrationError || e instanceof OfflineFileError) {
    const code = e instanceof RegistrationError ? ` [${e.code}]` : "";
    io.err(`registrar ${command}: ${e.message}${code}\n`);
    return EXIT.rejected;
  }
  throw e;
}

export function offlineCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runSubcommand("offline", argv, io, OFFLINE_HELP, {
    challenge: async (rest) => {
      const command = "offline challenge";
      const { values, positionals } = argsWith(command, rest, OPTIONS, 1, "one request file REQ");
      if (!values.out) throw new UsageError("--out CHAL is required: where to write the challenge", command);
      const request = await readSmall(positionals[0]!, command);
      return withRegistrar(values.db, command, async (registrar) => {
        let issued: Awaited<ReturnType<typeof issueOfflineChallenge>>;
        try {
          issued = await issueOfflineChallenge(registrar, request, cliActor());
        } catch (e) {
          return refusal(e, command, io);
        }
        try {
          await writeFile(values.out!, issued.file, { flag: "wx" });
        } catch (e) {
          throw new UsageError(`cannot write ${values.out}: ${(e as Error).message}`, command);
        }
        const summary = {
          agent_id: issued.agentId,
          session: issued.session,
          expires_at: issued.expiresAt,
          out: values.out,
        };
        io.out(
          values.json
            ? `${JSON.stringify(summary)}\n`
            : `challenge for agent ${issued.agentId} written to ${values.out}; it expires ${isoTime(issued.expiresAt)}\n`,
        );
        return EXIT.ok;
      });
    },
    activate: async (rest) => {
      const command = "offline activate";
      const { values, positionals } = argsWith(command, rest, OPTIONS, 1, "one response file RESP");
      const response = await readSmall(positionals[0]!, command);
      return withRegistrar(values.db, command, async (registrar) => {
        try {
          const a = await activateOffline(registrar, response, cliActor());
          io.out(
            values.json
              ? `${JSON.stringify({ agent_id: a.agentId, device_id: a.deviceId, active: true })}\n`
              : `agent ${a.agentId} is active${a.deviceId === null ? "" : ` (device ${a.deviceId})`}\n`,
          );
          return EXIT.ok;
        } catch (e) {
          return refusal(e, command, io);
        }
      });
    },
  });
}
