// `registrar init [--db FILE] [--out DIR] [--json]`: the database and the registrar's keys.
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../../shared/cli/args.js";
import { kidOf } from "../../../shared/formats/cose-verify.js";
import { KeyFileExistsError } from "../../../shared/formats/errors.js";
import { rawPublicKey, readPublicKey } from "../../../shared/formats/keys.js";
import { initRegistrarKeys, RegistrarKeysError } from "../../registrar/keys.js";
import { DB_OPTIONS, DEFAULT_DB, withRegistrar } from "../database.js";

const COMMAND = "init";

export async function initCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    ...DB_OPTIONS,
    out: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  const dbPath = resolve(values.db ?? DEFAULT_DB);
  const out = resolve(values.out ?? dirname(dbPath));
  // A new registrar's home (e.g. /var/lib/registrar) and key folder may not exist yet: make
  // them, readable by this user only, as the database and the private keys are. Both before
  // the database is created, so that a bad path leaves nothing behind.
  await makeFolder(dirname(dbPath), "database");
  await makeFolder(out, "key");
  return withRegistrar(
    dbPath,
    COMMAND,
    async (registrar) => {
      let keys: Awaited<ReturnType<typeof initRegistrarKeys>>;
      try {
        keys = await initRegistrarKeys(registrar.db, out);
      } catch (e) {
        if (e instanceof RegistrarKeysError || e instanceof KeyFileExistsError) {
          io.err(`registrar init: ${(e as Error).message}\n`);
          return EXIT.rejected;
        }
        throw e;
      }
      const sealKid = Buffer.from(
        kidOf(rawPublicKey(await readPublicKey(keys.x25519Pub, "x25519"))),
      ).toString("hex");
      if (values.json) io.out(`${JSON.stringify({ db: dbPath, keys, seal_kid: sealKid })}\n`);
      else
        io.out(
          `Database ${dbPath} is ready.\n` +
            `Signing key (offline challenges): ${keys.ed25519Key}\n` +
            `  public: ${keys.ed25519Pub}  (give it to agents: --registrar-key)\n` +
            `Sealing key (sealed bundles):     ${keys.x25519Key}\n` +
            `  public: ${keys.x25519Pub}  (give it to stations: factory bundle --seal-to; kid ${sealKid})\n`,
        );
      return EXIT.ok;
    },
    { create: true },
  );
}

/** Makes `dir` and its parents (mode 0700) unless they exist (existing folders keep their mode). */
async function makeFolder(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(`cannot use ${dir} as the ${what} folder (${reason}): choose another path`, COMMAND);
  }
}
