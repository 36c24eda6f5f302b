// PCR selections and reads (Part 2 §10.6, Part 3 §22.4).

import type { Infer } from "./codec/codec.js";
import { PCR_Read } from "./commands/pcr-read.js";
import type { TPMS_PCR_SELECTION } from "./structures/pcr.js";
import type { Tpm } from "./tpm.js";

export type PcrSelection = Infer<typeof TPMS_PCR_SELECTION>;

export class PcrReadError extends Error {
  override readonly name = "PcrReadError";
  readonly code = "PCR_READ_UNEXPECTED";
}

/** A selection of PCR indices in one bank, as a 3-byte bitmap (24 PCRs, PC Client profile). */
export function selectPcrs(hashAlg: number, indices: readonly number[]): PcrSelection {
  const bitmap = new Uint8Array(3);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= 24) throw new RangeError(`PCR index ${i} is outside 0..23`);
    bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  }
  return { hash: hashAlg, pcrSelect: bitmap };
}

/** The PCR indices a selection names, ascending (the order the TPM digests them in). */
export function selectedIndices(selection: PcrSelection): number[] {
  const out: number[] = [];
  selection.pcrSelect.forEach((byte, i) => {
    for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) out.push(i * 8 + bit);
  });
  return out;
}

/** PCR values of one bank, index → digest. PCR_Read returns at most 8 per call, so loop. */
export async function readPcrs(
  tpm: Tpm,
  hashAlg: number,
  indices: readonly number[],
): Promise<Map<number, Uint8Array>> {
  const out = new Map<number, Uint8Array>();
  let pending = [...new Set(indices)].sort((a, b) => a - b);
  while (pending.length > 0) {
    const { pcrSelectionOut, pcrValues } = await tpm.run(PCR_Read, {
      pcrSelectionIn: [selectPcrs(hashAlg, pending)],
    });
    const selection = pcrSelectionOut[0];
    const got = selection && selection.hash === hashAlg ? selectedIndices(selection) : [];
    // Each round must return values for some of what is still pending, one value per selected
    // PCR, and nothing else: otherwise a confused (or hostile) TPM could keep us looping.
    if (got.length === 0 || got.length !== pcrValues.length || got.some((i) => !pending.includes(i))) {
      throw new PcrReadError(
        `TPM2_PCR_Read for PCRs ${pending.join(",")} of bank 0x${hashAlg.toString(16)} returned ${pcrValues.length} value(s) for PCRs [${got.join(",")}]`,
      );
    }
    got.forEach((index, i) => {
      out.set(index, pcrValues[i] as Uint8Array);
    });
    pending = pending.filter((i) => !out.has(i));
  }
  return out;
}
