// `factory capture --tcti T --serial S --key K --ca-dir D …` (DESIGN §8): read and check one
// TPM, then sign and write its device manifest. Any refusal writes nothing; the TPM
// connection is closed on every path (swtpm and real TPMs serve one client at a time).
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, stat, unlink } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  EXIT,
  type ExitStatus,
  type Io,
  parseCommandArgs,
  parseIsoDate,
  UsageError,
} from "../../../shared/cli/args.js";
import { type CaStore, loadCaDir } from "../../../shared/ekcert/index.js";
import { kidOf } from "../../../shared/formats/cose-verify.js";
import { KeyFileError } from "../../../shared/formats/errors.js";
import { readPrivateKey, sodiumEd25519KeyPair } from "../../../shared/formats/keys.js";
import {
  MANIFEST_LIMITS,
  type ManifestPayload,
  readManifestUnverified,
  signManifest,
} from "../../../shared/formats/manifest.js";
import { Tpm } from "../../../shared/tpm/index.js";
import { type CapturedTpm, CaptureError, captureEvidence } from "../../capture/index.js";
import { errorMessage, fsReason, hex, SAFE_NAME } from "../util.js";

const COMMAND = "capture";
const PREFIX = `factory ${COMMAND}`;
export const MANIFEST_SUFFIX = ".manifest";
export const BUNDLED_DIR = ".bundled";

/** The options `capture` and `capture-batch` share: the station, its CA dir and the output. */
export const STATION_OPTIONS = {
  key: { type: "string" },
  "ca-dir": { type: "string" },
  "out-dir": { type: "string" },
  at: { type: "string" },
  "allow-no-cert": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function capture(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    tcti: { type: "string" },
    serial: { type: "string" },
    "hw-uuid": { type: "string" },
    model: { type: "string" },
    ...STATION_OPTIONS,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  const tcti = values.tcti;
  const serial = values.serial;
  const keyPath = values.key;
  const caDir = values["ca-dir"];
  if (!tcti)
    throw new UsageError("--tcti T is required: how to reach the TPM (e.g. device:/dev/tpmrm0)", COMMAND);
  if (!serial) throw new UsageError("--serial S is required: the board's serial", COMMAND);
  if (!SAFE_NAME.test(serial))
    throw new UsageError(
      `--serial "${serial}" cannot be a file name: use letters, digits, '.', '_' and '-'`,
      COMMAND,
    );
  const station = stationOfKey(keyPath, COMMAND);
  if (!caDir) throw new UsageError("--ca-dir D is required: the manufacturer CA certificates", COMMAND);
  const outDir = values["out-dir"] ?? join("bundles", "pending");
  const at = values.at === undefined ? new Date() : parseIsoDate(values.at, "--at", COMMAND);
  for (const [option, value] of [
    ["--hw-uuid", values["hw-uuid"]],
    ["--model", values.model],
  ] as const) {
    if (value !== undefined && !isPrintableField(value))
      throw new UsageError(`${option} must be 1 to 256 printable characters`, COMMAND);
  }

  // Inputs first, so a typo is caught before the TPM is touched.
  const setup = await prepareCapture(
    { keyPath: keyPath as string, station, caDir, outDir, at, allowNoCert: values["allow-no-cert"] === true },
    io,
    PREFIX,
  );
  if (!setup) return EXIT.usage;
  const result = await captureBoard(setup, {
    tcti,
    serial,
    hwUuid: values["hw-uuid"] ?? null,
    model: values.model ?? null,
  });
  if (result.status !== "captured") {
    io.err(`${PREFIX}: ${result.message}\n`);
    return EXIT.rejected;
  }
  const { payload, file: target } = result;
  const kid = setup.kid;
  if (values.json) {
    io.out(`${JSON.stringify(captureJson(result, setup))}\n`);
  } else {
    const lines = payload.eks.map(
      (ek) =>
        `  ${ek.template.padEnd(4)} ${ek.alg.padEnd(8)} ${ek.ek_pub_sha256}  ` +
        (ek.cert_nv === null
          ? "no certificate"
          : `cert NV 0x${ek.cert_nv.toString(16).toUpperCase().padStart(8, "0")}`) +
        (ek.chain.length > 0 ? `, chain of ${ek.chain.length}` : ""),
    );
    io.out(
      `OK ${serial}: ${payload.tpm.manufacturer} TPM, firmware ${payload.tpm.fw}, ${payload.eks.length} EK(s)\n` +
        `${lines.join("\n")}\n  wrote ${target} (signed by station ${setup.station}, kid ${kid})\n`,
    );
  }
  return EXIT.ok;
}

/** The station's name from --key NAME.key, or a usage error. */
export function stationOfKey(keyPath: string | undefined, command: string): string {
  if (!keyPath) throw new UsageError("--key K is required: the station's private key from keygen", command);
  if (!keyPath.endsWith(".key"))
    throw new UsageError(
      `--key ${keyPath} does not end in .key: give the NAME.key file keygen wrote`,
      command,
    );
  const station = basename(keyPath).slice(0, -".key".length);
  if (!SAFE_NAME.test(station))
    throw new UsageError(`--key ${keyPath}: "${station}" is not a plain station name`, command);
  return station;
}

/** --hw-uuid and --model: 1 to 256 printable characters. */
export function isPrintableField(value: string): boolean {
  return value !== "" && value.length <= 256 && !/[\u0000-\u001f\u007f]/.test(value);
}

/** What every capture of one station run shares: the key, the CA store, where manifests go. */
export interface CaptureSetup {
  readonly keyPair: ReturnType<typeof sodiumEd25519KeyPair>;
  readonly station: string;
  readonly kid: string;
  readonly store: CaStore;
  readonly outDir: string;
  readonly at: Date;
  readonly allowNoCert: boolean;
  /** ek_pub_sha256 → earlier manifest; read on first use, then kept up to date. */
  known?: Map<string, { serial: string; file: string }>;
  readonly io: Io;
}

/**
 * Loads the station key and the CA store and creates OUT-DIR. Returns undefined after saying
 * why on stderr (a usage error: exit 2).
 */
export async function prepareCapture(
  options: {
    keyPath: string;
    station: string;
    caDir: string;
    outDir: string;
    at: Date;
    allowNoCert: boolean;
  },
  io: Io,
  prefix: string,
): Promise<CaptureSetup | undefined> {
  let keyPair: ReturnType<typeof sodiumEd25519KeyPair>;
  try {
    keyPair = sodiumEd25519KeyPair(await readPrivateKey(options.keyPath, "ed25519"));
  } catch (error) {
    if (error instanceof KeyFileError) {
      io.err(`${prefix}: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
  const store = await loadStore(options.caDir, io, prefix);
  if (!store) return undefined;
  try {
    await mkdir(options.outDir, { recursive: true });
  } catch (error) {
    io.err(`${prefix}: cannot create the output directory ${options.outDir}: ${fsReason(error)}\n`);
    return undefined;
  }
  return {
    keyPair,
    station: options.station,
    kid: hex(kidOf(keyPair.publicKey)),
    store,
    outDir: options.outDir,
    at: options.at,
    allowNoCert: options.allowNoCert,
    io,
  };
}

export interface Board {
  tcti: string;
  serial: string;
  hwUuid: string | null;
  model: string | null;
}

/** One board's outcome. `message` is the operator's explanation, without the command prefix. */
export type BoardResult =
  | { status: "captured"; serial: string; file: string; payload: ManifestPayload }
  | { status: "already"; serial: string; message: string; file: string }
  | { status: "refused"; serial: string; message: string; code: string };

/** Captures one board: checks, signs and writes its manifest, or says why not. Writes nothing on refusal. */
export async function captureBoard(setup: CaptureSetup, board: Board): Promise<BoardResult> {
  const { serial } = board;
  const { outDir, at } = setup;
  const target = join(outDir, `${serial}${MANIFEST_SUFFIX}`);
  const earlierFile = await existingManifest(outDir, serial);
  if (earlierFile) {
    return {
      status: "already",
      serial,
      file: earlierFile,
      message:
        `a manifest for serial ${serial} already exists (${earlierFile}); ` +
        "nothing was captured. Check the serial, or remove the old manifest on purpose.",
    };
  }

  let captured: CapturedTpm;
  try {
    captured = await captureTpm(board.tcti, serial, {
      store: setup.store,
      at,
      allowNoCert: setup.allowNoCert,
      label: `board ${serial}`,
    });
  } catch (error) {
    if (error instanceof CaptureError) {
      return {
        status: "refused",
        serial,
        code: error.code,
        message: `REFUSED ${error.message} [${error.code}]\nNo manifest was written.`,
      };
    }
    throw error;
  }

  setup.known ??= await capturedEks(outDir, setup.io);
  for (const ek of captured.eks) {
    const earlier = setup.known.get(ek.ek_pub_sha256);
    if (earlier !== undefined) {
      return {
        status: "refused",
        serial,
        code: "ALREADY_CAPTURED",
        message:
          `REFUSED board ${serial}: this TPM was already captured as serial ${earlier.serial} ` +
          `(${earlier.file}): its ${ek.template} EK (ek_pub_sha256 ${ek.ek_pub_sha256}) is the same. ` +
          "A TPM is captured once; check which board this is.\nNo manifest was written.",
      };
    }
  }

  const payload: ManifestPayload = {
    v: 1,
    serial,
    hw_uuid: board.hwUuid,
    model: board.model,
    captured_at: Math.floor(at.getTime() / 1000),
    station: setup.station,
    tpm: { ...captured.tpm },
    eks: captured.eks.map((ek) => ({ ...ek, chain: [...ek.chain] })),
    platform_cert: null,
  };
  const signed = await signManifest(payload, setup.keyPair);
  if (!(await writeExclusive(target, signed))) {
    return {
      status: "already",
      serial,
      file: target,
      message: `${target} appeared while capturing; it was not overwritten and nothing was written.`,
    };
  }
  for (const ek of payload.eks) setup.known.set(ek.ek_pub_sha256, { serial, file: target });
  return { status: "captured", serial, file: target, payload };
}

/** The --json object of one captured board. */
export function captureJson(
  result: Extract<BoardResult, { status: "captured" }>,
  setup: CaptureSetup,
): Record<string, unknown> {
  const { payload } = result;
  return {
    serial: payload.serial,
    file: result.file,
    station: setup.station,
    kid: setup.kid,
    captured_at: payload.captured_at,
    tpm: payload.tpm,
    eks: payload.eks.map((ek) => ({
      alg: ek.alg,
      template: ek.template,
      ek_pub_sha256: ek.ek_pub_sha256,
      cert_nv: ek.cert_nv,
      chain: ek.chain.length,
    })),
  };
}

/** Opens the TPM, captures, and closes the connection whatever happened. */
async function captureTpm(
  tcti: string,
  serial: string,
  options: Parameters<typeof captureEvidence>[1],
): Promise<CapturedTpm> {
  let tpm: Tpm;
  try {
    tpm = await Tpm.open(tcti, { timeoutMs: 60_000 });
  } catch (error) {
    throw new CaptureError(
      "CAPTURE_TPM_ERROR",
      `board ${serial}: cannot reach the TPM at ${tcti}: ${errorMessage(error)}; check the TPM is connected and the --tcti`,
      { cause: error },
    );
  }
  try {
    return await captureEvidence(tpm, options);
  } finally {
    await tpm.close().catch(() => {});
  }
}

async function loadStore(dir: string, io: Io, prefix: string): Promise<CaStore | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) {
      io.err(`${prefix}: --ca-dir ${dir} is not a directory: give the directory holding the CA files\n`);
      return undefined;
    }
    const loaded = await loadCaDir(dir);
    for (const skipped of loaded.skipped)
      io.err(`warning: skipped CA file ${skipped.file}: ${skipped.reason}\n`);
    if (loaded.loaded === 0) {
      io.err(`${prefix}: no CA certificate loaded from ${dir}: every TPM would be refused\n`);
      return undefined;
    }
    return loaded.store;
  } catch (error) {
    io.err(`${prefix}: cannot read the CA directory --ca-dir ${dir}: ${fsReason(error)}\n`);
    return undefined;
  }
}

/** The path of an existing manifest for `serial`, pending or already bundled. */
async function existingManifest(outDir: string, serial: string): Promise<string | undefined> {
  for (const dir of [outDir, join(outDir, BUNDLED_DIR)]) {
    const file = join(dir, `${serial}${MANIFEST_SUFFIX}`);
    try {
      await stat(file);
      return file;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** ek_pub_sha256 → the manifest that holds it, over OUT-DIR and OUT-DIR/.bundled. */
async function capturedEks(outDir: string, io: Io): Promise<Map<string, { serial: string; file: string }>> {
  const found = new Map<string, { serial: string; file: string }>();
  for (const dir of [outDir, join(outDir, BUNDLED_DIR)]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith(".") || !name.endsWith(MANIFEST_SUFFIX)) continue;
      const file = join(dir, name);
      try {
        const info = await stat(file);
        if (!info.isFile() || info.size > MANIFEST_LIMITS.maxBytes)
          throw new Error("not a manifest-sized file");
        const { payload } = readManifestUnverified(new Uint8Array(await readFile(file)));
        for (const ek of payload.eks) found.set(ek.ek_pub_sha256, { serial: payload.serial, file });
      } catch (error) {
        io.err(
          `warning: ${file} could not be read as a manifest (${errorMessage(error)}); not checked for duplicates\n`,
        );
      }
    }
  }
  return found;
}

/**
 * Writes `bytes` to `path` atomically and never over an existing file: a temporary file in the
 * same directory, synced, then hard-linked to `path` (which fails if `path` exists). Returns
 * false when `path` already exists.
 */
async function writeExclusive(path: string, bytes: Uint8Array): Promise<boolean> {
  const dir = join(path, "..");
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(tmp, "wx", 0o644);
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await link(tmp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => {});
  }
  const d = await open(dir, "r").catch(() => undefined);
  await d?.sync().catch(() => {});
  await d?.close();
  return true;
}
