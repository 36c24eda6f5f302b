// tpm2-tools (5.4) against a simulated TPM: the independent source of truth for tests, and
// the harness's own way of shaping a TPM after swtpm_setup.
//
// The TCTI goes in TPM2TOOLS_TCTI rather than -T, so `args` stay what one would type; a -T
// in args (e.g. `-T none` for tpm2_makecredential) still wins over the variable. Each run has
// a timeout because a tool waits forever for a swtpm that is serving another client (see
// swtpm.ts).
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./exec.js";

export interface Tpm2Options {
  cwd?: string;
  input?: Uint8Array | string;
  /** Default 20 s. */
  timeoutMs?: number;
}

/**
 * Run one tpm2-tools program (`tool` is its full name, e.g. "tpm2_readpublic") against `tcti`.
 * Resolves to its stdout; rejects with a CommandError whose message includes stderr.
 */
export async function tpm2(
  tcti: string,
  tool: string,
  args: readonly string[],
  opts: Tpm2Options = {},
): Promise<Buffer> {
  if (!/^tpm2_[a-z0-9_]+$/.test(tool)) throw new Error(`not a tpm2-tools program: ${tool}`);
  const { stdout } = await run(tool, args, {
    cwd: opts.cwd,
    input: opts.input,
    env: { TPM2TOOLS_TCTI: tcti },
    timeoutMs: opts.timeoutMs ?? 20_000,
  });
  return stdout;
}

/** Same as tpm2(), stdout decoded as UTF-8. */
export async function tpm2Text(
  tcti: string,
  tool: string,
  args: readonly string[],
  opts: Tpm2Options = {},
): Promise<string> {
  return (await tpm2(tcti, tool, args, opts)).toString("utf8");
}

export const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

/** Parse the "- 0x80000000" list that `tpm2_getcap handles-*` prints (nothing when empty). */
export function parseHandleList(text: string): number[] {
  return [...text.matchAll(/^\s*-\s*(0x[0-9a-f]+)\s*$/gim)].map((m) => Number.parseInt(m[1] ?? "", 16));
}

const getHandles = async (tcti: string, kind: string): Promise<number[]> =>
  parseHandleList(await tpm2Text(tcti, "tpm2_getcap", [`handles-${kind}`]));

/** Transient objects loaded in the TPM; tests assert this is empty to prove no handle leaks. */
export const transientHandles = (tcti: string): Promise<number[]> => getHandles(tcti, "transient");
export const persistentHandles = (tcti: string): Promise<number[]> => getHandles(tcti, "persistent");
export const nvIndices = (tcti: string): Promise<number[]> => getHandles(tcti, "nv-index");

export interface NvPublic {
  index: number;
  /** TPMA_NV as a number, e.g. 0x62072001 for swtpm's EK cert indices. */
  attributes: number;
  /** tpm2-tools' names, e.g. ["ppwrite", "writedefine", ..., "platformcreate"]. */
  attributeNames: string[];
  size: number;
}

/** `tpm2_nvreadpublic <index>`, parsed. */
export async function nvReadPublic(tcti: string, index: number): Promise<NvPublic> {
  const text = await tpm2Text(tcti, "tpm2_nvreadpublic", [hex(index)]);
  const attrs = /attributes:\s*\n\s*friendly:\s*(\S*)\s*\n\s*value:\s*(0x[0-9a-f]+)/i.exec(text);
  const size = /^\s*size:\s*(\d+)\s*$/m.exec(text);
  if (!attrs?.[1] || !attrs[2] || !size?.[1]) {
    throw new Error(`cannot parse tpm2_nvreadpublic ${hex(index)} output:\n${text}`);
  }
  return {
    index,
    attributes: Number.parseInt(attrs[2], 16),
    attributeNames: attrs[1].split("|").filter(Boolean),
    size: Number.parseInt(size[1], 10),
  };
}

/** The whole content of an NV index, read with owner authorization (`ownerread`). */
export const nvRead = (tcti: string, index: number): Promise<Buffer> =>
  tpm2(tcti, "tpm2_nvread", ["-C", "o", hex(index)]);

/** The public key of a loaded or persistent object as SPKI PEM, as tpm2_readpublic writes it. */
export async function readPublicPem(tcti: string, handle: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tpm2-readpublic-"));
  try {
    const file = join(dir, "key.pem");
    await tpm2(tcti, "tpm2_readpublic", ["-c", hex(handle), "-f", "pem", "-o", file]);
    return await readFile(file, "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
