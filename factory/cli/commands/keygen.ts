// `factory keygen --station NAME [--out DIR]`: the station's Ed25519 signing key pair.
import { mkdir } from "node:fs/promises";
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../../shared/cli/args.js";
import { KeyFileExistsError } from "../../../shared/formats/errors.js";
import { writeKeyPair } from "../../../shared/formats/keys.js";
import { hex, SAFE_NAME } from "../util.js";

const COMMAND = "keygen";

export async function keygen(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    station: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  const station = values.station;
  if (!station) throw new UsageError("--station NAME is required: the station's name", COMMAND);
  if (!SAFE_NAME.test(station))
    throw new UsageError(
      `--station "${station}" is not a plain name: use letters, digits, '.', '_' and '-' (not starting with '.')`,
      COMMAND,
    );
  const dir = values.out ?? ".";
  await mkdir(dir, { recursive: true });
  try {
    const written = await writeKeyPair(dir, station, "ed25519");
    io.out(
      `station ${station}\n  private key: ${written.keyPath} (mode 0600: keep it on the station)\n` +
        `  public key:  ${written.pubPath} (give it to the registrar)\n  kid:         ${hex(written.kid)}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof KeyFileExistsError) {
      io.err(
        `factory keygen: ${error.path} already exists; refusing to overwrite the station's key ` +
          `(nothing was written). Choose another --station or --out, or remove the old key on purpose.\n`,
      );
      return EXIT.rejected;
    }
    throw error;
  }
}
