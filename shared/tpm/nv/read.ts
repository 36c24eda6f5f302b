// Reading NV indices (Part 3 §31.6, §31.13): the public area first, then the data in chunks of
// at most TPM_PT_NV_BUFFER_MAX bytes, since no TPM returns a whole certificate in one NV_Read.
import { type Authorization, password } from "../auth.js";
import { listHandles } from "../capability.js";
import { NV_Read } from "../commands/nv-read.js";
import { NV_ReadPublic } from "../commands/nv-read-public.js";
import { TPM_HT, TPMA_NV } from "../constants.js";
import type { TpmsNvPublic } from "../structures/nv.js";
import type { Tpm } from "../tpm.js";
import { asHandle, hexHandle, TPM_RH } from "../types.js";

/** The largest NV index we read: EK certificate indices are at most a few KiB. */
export const MAX_NV_READ = 64 * 1024;

export class NvReadError extends Error {
  override readonly name = "NvReadError";
  constructor(
    readonly code: "NV_NOT_DEFINED" | "NV_NOT_READABLE" | "NV_TOO_LARGE",
    message: string,
  ) {
    super(message);
  }
}

/** The NV indices defined on this TPM. */
export async function listNvIndices(tpm: Tpm): Promise<Set<number>> {
  return new Set<number>(await listHandles(tpm, TPM_HT.NV_INDEX));
}

export async function nvReadPublic(tpm: Tpm, index: number): Promise<TpmsNvPublic> {
  const { nvPublic } = await tpm.run(NV_ReadPublic, { nvIndex: asHandle(index) });
  if (nvPublic.nvIndex !== index) {
    throw new NvReadError(
      "NV_NOT_READABLE",
      `NV ${hexHandle(index)}: the TPM answered for ${hexHandle(nvPublic.nvIndex)}`,
    );
  }
  return nvPublic;
}

export interface NvReadOptions {
  /** Bytes per NV_Read; default 512, capped by what the TPM reports (TPM_PT_NV_BUFFER_MAX). */
  chunkSize?: number;
  /** The index's auth value (for AUTHREAD) or the owner's (for OWNERREAD); default empty. */
  auth?: Uint8Array;
}

/**
 * Reads a whole NV index. EK certificate indices allow AUTHREAD with an empty auth value, which
 * is preferred over OWNERREAD: the owner may have set a password on a deployed machine.
 */
export async function nvReadAll(tpm: Tpm, index: number, options: NvReadOptions = {}): Promise<Uint8Array> {
  const pub = await nvReadPublic(tpm, index);
  if (pub.dataSize > MAX_NV_READ) {
    throw new NvReadError(
      "NV_TOO_LARGE",
      `NV ${hexHandle(index)} holds ${pub.dataSize} bytes, over the ${MAX_NV_READ} limit`,
    );
  }
  let authHandle: number;
  if (pub.attributes & TPMA_NV.AUTHREAD) authHandle = index;
  else if (pub.attributes & TPMA_NV.OWNERREAD) authHandle = TPM_RH.OWNER;
  else if (pub.attributes & TPMA_NV.PPREAD) authHandle = TPM_RH.PLATFORM;
  else
    throw new NvReadError(
      "NV_NOT_READABLE",
      `NV ${hexHandle(index)} allows no read authorization we can give`,
    );
  const auth: Authorization = password(options.auth);
  // Bounded by what TPM2B_MAX_NV_BUFFER may carry, whatever the caller asks for.
  const chunk = Math.max(1, Math.min(options.chunkSize ?? 512, 4096));
  const out = new Uint8Array(pub.dataSize);
  for (let offset = 0; offset < pub.dataSize; offset += chunk) {
    const size = Math.min(chunk, pub.dataSize - offset);
    const { data } = await tpm.run(
      NV_Read,
      { authHandle: asHandle(authHandle), nvIndex: asHandle(index), size, offset },
      [auth],
    );
    if (data.length !== size) {
      throw new NvReadError(
        "NV_NOT_READABLE",
        `NV ${hexHandle(index)}: asked for ${size} bytes at ${offset}, got ${data.length}`,
      );
    }
    out.set(data, offset);
  }
  return out;
}
