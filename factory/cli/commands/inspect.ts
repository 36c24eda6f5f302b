// `factory inspect FILE [--json] [--station-pub P]`: reads the file's first CBOR item, tells
// its kind by content (kinds.ts) and hands it to that kind's inspector.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../../shared/cli/args.js";
import { type CborValue, readSequence } from "../../../shared/formats/cbor.js";
import { COSE_SIGN1_TAG } from "../../../shared/formats/cose-verify.js";
import { CborError } from "../../../shared/formats/errors.js";
import { KINDS } from "../kinds.js";
import { fsReason } from "../util.js";

const COMMAND = "inspect";
const PREFIX = `factory ${COMMAND}`;

export async function inspect(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    json: { type: "boolean" },
    "station-pub": { type: "string" },
    "registrar-key": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (positionals.length === 0) throw new UsageError("no FILE given: name the file to inspect", COMMAND);
  if (positionals.length > 1) throw new UsageError("inspect takes one FILE", COMMAND);
  const file = positionals[0] as string;

  try {
    if (!(await stat(file)).isFile()) {
      io.err(`${PREFIX}: ${file} is not a regular file\n`);
      return EXIT.usage;
    }
  } catch (error) {
    io.err(`${PREFIX}: cannot read ${file}: ${fsReason(error)}\n`);
    return EXIT.usage;
  }

  let first: CborValue | undefined;
  try {
    first = await firstItem(file);
  } catch (error) {
    if (error instanceof CborError) {
      io.err(
        `${PREFIX}: ${file} is not a factory file (manifest or bundle): its CBOR is invalid: ${error.message}\n`,
      );
      return EXIT.rejected;
    }
    throw error;
  }
  if (first === undefined) {
    io.err(`${PREFIX}: ${file} is empty: not a manifest or bundle\n`);
    return EXIT.rejected;
  }
  const kind = KINDS.find((k) => k.matches(first));
  if (!kind) {
    io.err(
      `${PREFIX}: ${file} is CBOR but not a factory file: neither a signed device manifest ` +
        "(a COSE_Sign1 whose payload has eks) nor a bundle\n",
    );
    return EXIT.rejected;
  }
  return kind.inspect({
    file,
    json: values.json === true,
    stationPub: values["station-pub"],
    registrarKey: values["registrar-key"],
    io,
  });
}

/** The first CBOR item of the file, read as a stream (a bundle may be large). */
async function firstItem(file: string): Promise<CborValue | undefined> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const item of readSequence(stream, {
      allowTags: [COSE_SIGN1_TAG],
      maxBytes: 16 * 1024 * 1024,
    })) {
      return item.value;
    }
    return undefined;
  } finally {
    stream.destroy();
  }
}
