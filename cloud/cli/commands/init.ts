// `registrar init [--db FILE] [--out DIR] [--json]`: the database and the registrar's keys.
import { mkdir } from "node:fs/promises";
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
  // A new registrar's home (e.g. /var/lib/registrar) may not exist yet: make it, readable by
  // this user only, as the database and the private keys in it are. Existing folders keep
  // their mode.
  await mkdir(dirname(dbPath), { recursive: true, mode: 0o700 });
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
