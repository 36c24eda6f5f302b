// `factory bundle --key K [--in DIR] [--out-dir DIR] [--seal-to P] [--json]` (DESIGN §5, §8):
// packs every pending manifest into the station's next bundle and moves them aside.
//
// Crash safety. The station's chain lives in a state file next to the key,
// `<station>.state.json` = {seq, prev (hex SHA-256 of the last bundle's plain bytes, or null),
// last (that bundle's path, or null), commit (an unfinished run, or absent)}. Every state write
// is atomic (temporary file, fsync, rename, fsync of the directory). A run goes:
//   1. finish a committed-but-unfinished run, if the state has `commit` (steps 5-7 again);
//   2. list and verify the pending manifests (sorted by name);
//   3. write the bundle to a temporary name `.<station>-<seq>.bundle[.sealed].tmp` in the
//      output directory, and fsync it;
//   4. COMMIT: write the state with `commit` = {seq, digest, file, tmp, in, manifests};
//   5. rename the temporary bundle to its final name (if the temporary is still there);
//   6. move each listed manifest into `<in>/.bundled/` (if it is still pending);
//   7. write the state {seq, prev: digest, last: file} without `commit`.
// A crash before step 4 leaves the old state: the manifests are still pending and the next run
// bundles them again under the same seq (the stray temporary file is removed). A crash after
// step 4 is finished by step 1 of the next run, from the names recorded in `commit`; steps 5-7
// are idempotent. So a manifest is never lost nor bundled twice.
//
// FACTORY_BUNDLE_CRASH_AFTER=written|commit|renamed ends the process right after that step
// (tests of the recovery only).

import { randomUUID } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../../shared/cli/args.js";
import { hashingStream, writeBundle } from "../../../shared/formats/bundle.js";
import { sign1Signer } from "../../../shared/formats/cose-sign1.js";
import { kidOf } from "../../../shared/formats/cose-verify.js";
import { CborError, CoseError, FormatVersionError, KeyFileError } from "../../../shared/formats/errors.js";
import { readPrivateKey, readPublicKey, sodiumEd25519KeyPair } from "../../../shared/formats/keys.js";
import { MANIFEST_LIMITS, ManifestInvalidError, verifyManifest } from "../../../shared/formats/manifest.js";
import { sealStream } from "../../../shared/formats/seal.js";
import { errorMessage, fsReason, hex, SAFE_NAME } from "../util.js";
import { BUNDLED_DIR, MANIFEST_SUFFIX } from "./capture.js";

const COMMAND = "bundle";
const PREFIX = `factory ${COMMAND}`;

interface Commit {
  seq: number;
  /** Hex SHA-256 of the plain bundle. */
  digest: string;
  /** Final path of the bundle (absolute). */
  file: string;
  /** Temporary path it was written to (absolute). */
  tmp: string;
  /** The pending directory (absolute). */
  in: string;
  /** File names (in `in`) of the manifests it holds. */
  manifests: string[];
}

interface State {
  seq: number;
  prev: string | null;
  last: string | null;
  commit?: Commit;
}

export async function bundle(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    key: { type: "string" },
    in: { type: "string" },
    "out-dir": { type: "string" },
    "seal-to": { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  const keyPath = values.key;
  if (!keyPath) throw new UsageError("--key K is required: the station's private key from keygen", COMMAND);
  if (!keyPath.endsWith(".key"))
    throw new UsageError(
      `--key ${keyPath} does not end in .key: give the NAME.key file keygen wrote`,
      COMMAND,
    );
  const station = basename(keyPath).slice(0, -".key".length);
  if (!SAFE_NAME.test(station))
    throw new UsageError(`--key ${keyPath}: "${station}" is not a plain station name`, COMMAND);
  const inDir = resolve(values.in ?? join("bundles", "pending"));
  const outDir = resolve(values["out-dir"] ?? join("bundles", "outgoing"));
  const statePath = join(dirname(keyPath), `${station}.state.json`);

  let keyPair: ReturnType<typeof sodiumEd25519KeyPair>;
  let sealTo: Awaited<ReturnType<typeof readPublicKey>> | undefined;
  try {
    keyPair = sodiumEd25519KeyPair(await readPrivateKey(keyPath, "ed25519"));
    if (values["seal-to"] !== undefined) sealTo = await readPublicKey(values["seal-to"], "x25519");
  } catch (error) {
    if (error instanceof KeyFileError) {
      io.err(`${PREFIX}: ${error.message}\n`);
      return EXIT.usage;
    }
    throw error;
  }
  const stationKid = kidOf(keyPair.publicKey);
  const lookup = (kid: Uint8Array) => (Buffer.from(kid).equals(stationKid) ? keyPair.publicKey : undefined);

  let state: State;
  try {
    state = await readState(statePath);
  } catch (error) {
    io.err(`${PREFIX}: cannot read the station's chain state ${statePath}: ${errorMessage(error)}\n`);
    return EXIT.usage;
  }
  const interrupted = state.commit;
  if (interrupted) {
    try {
      state = await finish(statePath, interrupted);
    } catch (error) {
      io.err(`${PREFIX}: cannot finish the interrupted bundle ${interrupted.file}: ${errorMessage(error)}\n`);
      return EXIT.rejected;
    }
    io.err(`note: finished the interrupted bundle ${interrupted.file} (seq ${interrupted.seq})\n`);
  }

  let names: string[];
  try {
    names = (await readdir(inDir)).filter((n) => !n.startsWith(".") && n.endsWith(MANIFEST_SUFFIX)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") names = [];
    else {
      io.err(`${PREFIX}: cannot read --in ${inDir}: ${fsReason(error)}\n`);
      return EXIT.usage;
    }
  }

  // Verify each pending manifest with the station's own key; refuse (skip) what does not verify.
  const good: string[] = [];
  const refused: string[] = [];
  for (const name of names) {
    const file = join(inDir, name);
    try {
      verifyManifest(await readManifestFile(file), lookup);
      good.push(name);
    } catch (error) {
      if (
        error instanceof CoseError ||
        error instanceof CborError ||
        error instanceof FormatVersionError ||
        error instanceof ManifestInvalidError ||
        error instanceof ManifestFileError
      ) {
        io.err(`${PREFIX}: REFUSED ${file}: ${error.message}; not bundled (left in place)\n`);
        refused.push(file);
        continue;
      }
      throw error;
    }
  }
  const failed = refused.length > 0 ? EXIT.rejected : EXIT.ok;
  if (good.length === 0) {
    const msg = `nothing to bundle: no pending manifest${refused.length > 0 ? " that verifies" : ""} in ${inDir}`;
    if (values.json) io.out(`${JSON.stringify({ bundled: false, in: inDir, refused })}\n`);
    else io.out(`${msg}\n`);
    return failed;
  }

  const seq = state.seq + 1;
  const suffix = sealTo ? ".bundle.sealed" : ".bundle";
  const file = join(outDir, `${station}-${seq}${suffix}`);
  const tmp = join(outDir, `.${station}-${seq}${suffix}.tmp`);
  await mkdir(outDir, { recursive: true });
  await mkdir(join(inDir, BUNDLED_DIR), { recursive: true });
  try {
    await stat(file);
    io.err(
      `${PREFIX}: ${file} already exists but the state ${statePath} says the next seq is ${seq}; ` +
        "refusing to overwrite it (is the state file from another copy of the key?)\n",
    );
    return EXIT.rejected;
  } catch {
    // not there: good
  }

  // Step 3: the bundle at its temporary name.
  const items = async function* () {
    for (const name of good) {
      const bytes = await readManifestFile(join(inDir, name));
      verifyManifest(bytes, lookup);
      yield bytes;
    }
  };
  const signer = await sign1Signer(keyPair);
  const plain = hashingStream(
    writeBundle(
      items,
      {
        bundle_id: randomUUID(),
        station,
        seq,
        prev: state.prev === null ? null : new Uint8Array(Buffer.from(state.prev, "hex")),
        created_at: Math.floor(Date.now() / 1000),
      },
      signer,
    ),
  );
  await unlink(tmp).catch(() => {});
  const handle = await open(tmp, "wx", 0o644);
  try {
    for await (const chunk of sealTo ? sealStream(plain.stream, sealTo) : plain.stream)
      await handle.write(chunk);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(tmp).catch(() => {});
    throw error;
  }
  await handle.close();
  const digest = hex(plain.digest());
  crashPoint("written");

  // Step 4: commit. Steps 5-7: finish.
  const commit: Commit = { seq, digest, file, tmp, in: inDir, manifests: good };
  await writeState(statePath, { ...state, commit });
  crashPoint("commit");
  await finish(statePath, commit);

  if (values.json) {
    io.out(
      `${JSON.stringify({
        bundled: true,
        file,
        station,
        seq,
        count: good.length,
        digest,
        sealed: sealTo !== undefined,
        prev: state.prev,
        refused,
      })}\n`,
    );
  } else {
    io.out(
      `OK bundle ${file}\n  station ${station}, seq ${seq}, ${good.length} manifest(s)${sealTo ? ", sealed" : ""}\n` +
        `  sha256 (plain) ${digest}\n  prev ${state.prev ?? "none (first bundle)"}\n` +
        `  moved the manifests to ${join(inDir, BUNDLED_DIR)}\n`,
    );
  }
  return failed;
}

function crashPoint(step: string): void {
  if (process.env["FACTORY_BUNDLE_CRASH_AFTER"] === step) process.exit(9);
}

/** Steps 5-7 of a committed run; idempotent. Returns the new state. */
async function finish(statePath: string, commit: Commit): Promise<State> {
  if (await exists(commit.tmp)) {
    await rename(commit.tmp, commit.file);
    await syncDir(dirname(commit.file));
  } else if (!(await exists(commit.file))) {
    throw new Error(`neither ${commit.tmp} nor ${commit.file} exists: the committed bundle is lost`);
  }
  crashPoint("renamed");
  const bundled = join(commit.in, BUNDLED_DIR);
  await mkdir(bundled, { recursive: true });
  for (const name of commit.manifests) {
    if (await exists(join(commit.in, name))) await rename(join(commit.in, name), join(bundled, name));
  }
  await syncDir(bundled);
  await syncDir(commit.in);
  const state: State = { seq: commit.seq, prev: commit.digest, last: commit.file };
  await writeState(statePath, state);
  return state;
}

class ManifestFileError extends Error {}

async function readManifestFile(file: string): Promise<Uint8Array> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    throw new ManifestFileError(`cannot read it: ${fsReason(error)}`);
  }
  if (!info.isFile()) throw new ManifestFileError("not a regular file");
  if (info.size > MANIFEST_LIMITS.maxBytes)
    throw new ManifestFileError(`larger than a manifest may be (${MANIFEST_LIMITS.maxBytes} bytes)`);
  return new Uint8Array(await readFile(file));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, "r").catch(() => undefined);
  await d?.sync().catch(() => {});
  await d?.close();
}

async function readState(path: string): Promise<State> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { seq: 0, prev: null, last: null };
    throw new Error(fsReason(error));
  }
  const s = JSON.parse(text) as State;
  if (
    !Number.isSafeInteger(s.seq) ||
    s.seq < 0 ||
    (s.prev !== null && !/^[0-9a-f]{64}$/.test(String(s.prev))) ||
    (s.seq === 0) !== (s.prev === null)
  )
    throw new Error("it is not a bundle chain state {seq, prev, last}");
  return s;
}

/** Writes the state atomically: temporary file, fsync, rename, fsync of the directory. */
async function writeState(path: string, state: State): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, "w", 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}
