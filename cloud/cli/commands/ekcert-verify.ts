// `registrar ekcert verify --ca-dir DIR [--at ISO-DATE] [--json] FILE...` (issue 3): verify EK
// certificates from files against a directory of manufacturer CAs, one verdict per file.
import { readFile, stat } from "node:fs/promises";
import {
  EXIT,
  type ExitStatus,
  type Io,
  parseCommandArgs,
  parseIsoDate,
  UsageError,
} from "../../../shared/cli/args.js";
import {
  type CaStore,
  type Certificate,
  chainSubjects,
  ekPubSha256,
  loadCaDir,
  verifyEkCertificate,
} from "../../../shared/ekcert/index.js";

const COMMAND = "ekcert verify";
const PREFIX = `registrar ${COMMAND}`;

/** Bigger than any certificate file or NV dump; refuses to slurp a disk image by mistake. */
const MAX_FILE_BYTES = 1024 * 1024;

/** The verdict on one FILE. The JSON line is exactly the shape; the rest is for humans. */
export interface FileVerdict {
  file: string;
  ok: boolean;
  reason: string | null;
  manufacturer: string | null;
  model: string | null;
  version: string | null;
  ek_pub_sha256: string | null;
  chain: string[] | null;
  /** The rejection code (EK_CHAIN_UNTRUSTED, …), or FILE_UNREADABLE when the file could not be read. */
  code: string | null;
  /** The four-letter vendor code the manufacturer id spells ("IFX"), when it is ASCII. */
  manufacturerCode: string | null;
  /** The file could not be read from disk at all (exit 2, not a rejection). */
  unreadable: boolean;
}

export async function ekcertVerify(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    "ca-dir": { type: "string" },
    at: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  const caDir = values["ca-dir"];
  if (!caDir)
    throw new UsageError("--ca-dir DIR is required: the directory of manufacturer CA certificates", COMMAND);
  if (positionals.length === 0)
    throw new UsageError("no FILE given: name one or more EK certificate files", COMMAND);
  const at = values.at === undefined ? new Date() : parseIsoDate(values.at, "--at", COMMAND);

  const store = await loadStore(caDir, io);
  if (!store) return EXIT.usage;

  const width = Math.max(...positionals.map((f) => f.length));
  let rejected = 0;
  let unreadable = 0;
  for (const file of positionals) {
    const verdict = await verifyFile(file, store, at);
    if (verdict.unreadable) {
      unreadable++;
      io.err(`${PREFIX}: ${verdict.reason}\n`);
    } else if (!verdict.ok) {
      rejected++;
    }
    if (values.json) io.out(`${JSON.stringify(jsonLine(verdict))}\n`);
    else if (!verdict.unreadable) io.out(humanLines(verdict, width));
  }
  const verified = positionals.length - rejected - unreadable;
  io.err(
    `${positionals.length} file(s): ${verified} verified, ${rejected} rejected` +
      (unreadable > 0 ? `, ${unreadable} unreadable` : "") +
      ` (validity checked at ${at.toISOString()})\n`,
  );
  if (unreadable > 0) return EXIT.usage;
  return rejected > 0 ? EXIT.rejected : EXIT.ok;
}

/** Loads the CA directory once; on failure prints why and returns undefined (exit 2). */
async function loadStore(dir: string, io: Io): Promise<CaStore | undefined> {
  try {
    const info = await stat(dir);
    if (!info.isDirectory()) {
      io.err(`${PREFIX}: --ca-dir ${dir} is not a directory: give the directory holding the CA files\n`);
      return undefined;
    }
  } catch (error) {
    io.err(`${PREFIX}: cannot read the CA directory --ca-dir ${dir}: ${fsReason(error)}\n`);
    return undefined;
  }
  let loaded: Awaited<ReturnType<typeof loadCaDir>>;
  try {
    loaded = await loadCaDir(dir);
  } catch (error) {
    io.err(`${PREFIX}: cannot load the CA directory ${dir}: ${errorMessage(error)}\n`);
    return undefined;
  }
  for (const skipped of loaded.skipped) {
    io.err(`warning: skipped CA file ${skipped.file}: ${skipped.reason}\n`);
  }
  if (loaded.loaded === 0) {
    io.err(
      `${PREFIX}: no CA certificate loaded from ${dir}: every EK certificate would be rejected; ` +
        "point --ca-dir at the directory of manufacturer CA files (PEM, DER or CRT)\n",
    );
    return undefined;
  }
  io.err(`${loaded.loaded} cert${loaded.loaded === 1 ? "" : "s"} loaded from ${dir}\n`);
  return loaded.store;
}

export async function verifyFile(file: string, store: CaStore, at: Date): Promise<FileVerdict> {
  const verdict: FileVerdict = {
    file,
    ok: false,
    reason: null,
    manufacturer: null,
    model: null,
    version: null,
    ek_pub_sha256: null,
    chain: null,
    code: null,
    manufacturerCode: null,
    unreadable: false,
  };

  let bytes: Uint8Array;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    if (info.size > MAX_FILE_BYTES) {
      return reject(
        verdict,
        "FILE_TOO_LARGE",
        `${file} is ${info.size} bytes, more than any certificate file or NV dump (limit ${MAX_FILE_BYTES})`,
      );
    }
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    verdict.unreadable = true;
    return reject(verdict, "FILE_UNREADABLE", `cannot read ${file}: ${fsReason(error)}`);
  }

  // The verifier reads PEM (one or many certs), DER, base64 DER and raw NV dumps itself: the
  // first certificate is the EK's, any further ones are intermediates. Contents that hold no
  // certificate (garbage, truncated, empty) come back as a rejection with the reason.
  const result = verifyEkCertificate(bytes, { store, at });
  if (result.ok) {
    describeLeaf(verdict, result.leaf);
    verdict.ok = true;
    verdict.ek_pub_sha256 = result.ekPubSha256;
    verdict.chain = chainSubjects(result.chain);
    return verdict;
  }
  if (result.leaf) {
    describeLeaf(verdict, result.leaf);
    try {
      verdict.ek_pub_sha256 = ekPubSha256(result.leaf);
    } catch {
      // A key we cannot hash is part of why it was rejected; the reason says so.
    }
  }
  return reject(verdict, result.code, result.reason);
}

function reject(verdict: FileVerdict, code: string, reason: string): FileVerdict {
  verdict.ok = false;
  verdict.code = code;
  verdict.reason = reason;
  return verdict;
}

function describeLeaf(verdict: FileVerdict, leaf: Certificate): void {
  if (!leaf.tpm) return;
  verdict.manufacturer = leaf.tpm.manufacturer;
  verdict.manufacturerCode = leaf.tpm.manufacturerCode?.trim() || null;
  verdict.model = leaf.tpm.model;
  verdict.version = leaf.tpm.version;
}

/** Exactly `{file, ok, reason, manufacturer, model, version, ek_pub_sha256, chain}`, in that order. */
export function jsonLine(v: FileVerdict) {
  return {
    file: v.file,
    ok: v.ok,
    reason: v.reason,
    manufacturer: v.manufacturer,
    model: v.model,
    version: v.version,
    ek_pub_sha256: v.ek_pub_sha256,
    chain: v.chain,
  };
}

/** `OK   file  IFX (id:49465800) SLB 9670 TPM2.0 id:073f  <sha256>` and its chain, or `FAIL file  reason [CODE]`. */
export function humanLines(v: FileVerdict, width: number): string {
  const file = v.file.padEnd(width);
  if (!v.ok) return `FAIL ${file}  ${v.reason} [${v.code}]\n`;
  const manufacturer = v.manufacturerCode ? `${v.manufacturerCode} (${v.manufacturer})` : v.manufacturer;
  const identity =
    v.manufacturer === null ? "(no TPM identity in the SAN)" : `${manufacturer} ${v.model} ${v.version}`;
  const chain = (v.chain ?? []).map((s) => s || "(empty subject)").join(" -> ");
  return `OK   ${file}  ${identity}  ${v.ek_pub_sha256}\n     chain: ${chain}\n`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A file-system error in words: "no such file", not "ENOENT: no such file or directory, stat 'x'". */
function fsReason(error: unknown): string {
  switch ((error as { code?: unknown }).code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory, not a file";
    case "ENOTDIR":
      return "a component of the path is not a directory";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return errorMessage(error);
  }
}
