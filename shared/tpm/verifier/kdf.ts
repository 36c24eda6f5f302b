// The TPM's key derivation functions, TPM 2.0 Part 1 §11.4.10 (rev 1.59).
//
// KDFa (§11.4.10.2): SP800-108 KDF in counter mode with HMAC as the PRF,
//   K(i) = HMAC_hash(key, [i]_32 ‖ Label ‖ 0x00 ‖ contextU ‖ contextV ‖ [bits]_32), i = 1, 2, …
// KDFe (§11.4.10.3): SP800-56A concatenation KDF,
//   K(i) = H_hash([i]_32 ‖ Z ‖ Label ‖ 0x00 ‖ partyUInfo ‖ partyVInfo), i = 1, 2, …
// Both return the leftmost ⌈bits/8⌉ bytes of K(1) ‖ K(2) ‖ …; when bits is not a multiple of
// 8, the unused high-order bits of the first byte are cleared (as the reference code's
// CryptKDFa/CryptKDFe do). [n]_32 is n as a big-endian u32 (Part 2 UINT32).
import { marshal } from "../codec/codec.js";
import { u32 } from "../codec/primitives.js";
import { TpmVerifierError } from "./errors.js";
import { digestSize, hash, hmac } from "./hash.js";

/** A KDF was asked for an impossible output length. */
export class KdfError extends TpmVerifierError {
  override readonly name = "KdfError";
  readonly code = "KDF_BAD_LENGTH";
}

/** Largest output accepted: far above any key the TPM derives, far below the u32 counter's reach. */
const MAX_BITS = 65536 * 8;

function checkBits(bits: number, kdf: string): void {
  if (!Number.isInteger(bits) || bits <= 0 || bits > MAX_BITS) {
    throw new KdfError(`${kdf}: bits must be an integer in 1..${MAX_BITS}, got ${bits}`);
  }
}

/**
 * The label as the KDFs hash it: its ASCII bytes and one terminating 0x00. A label passed
 * with its terminator already ("IDENTITY\0") is not terminated twice (Part 1 §11.4.10.2: the
 * label is a NUL-terminated string).
 */
function labelBytes(label: string): Uint8Array {
  const text = label.endsWith("\0") ? label.slice(0, -1) : label;
  if (!/^[\x01-\x7f]*$/.test(text))
    throw new KdfError(`KDF label must be ASCII without NUL, got ${JSON.stringify(label)}`);
  const out = new Uint8Array(text.length + 1);
  out.set(Buffer.from(text, "ascii"));
  return out;
}

/** Concatenates the blocks, keeps ⌈bits/8⌉ bytes and masks the top byte to `bits`. */
function truncate(blocks: Uint8Array[], bits: number): Uint8Array {
  const out = new Uint8Array(Buffer.concat(blocks).subarray(0, Math.ceil(bits / 8)));
  if (bits % 8 !== 0) out[0] = (out[0] ?? 0) & ((1 << (bits % 8)) - 1);
  return out;
}

/** Part 1 §11.4.10.2 KDFa(hashAlg, key, label, contextU, contextV, bits). */
export function kdfa(
  hashAlg: number,
  key: Uint8Array,
  label: string,
  contextU: Uint8Array,
  contextV: Uint8Array,
  bits: number,
): Uint8Array {
  checkBits(bits, "KDFa");
  const blockBits = digestSize(hashAlg, "KDFa hash") * 8;
  const lab = labelBytes(label);
  const l = marshal(u32, bits);
  const blocks: Uint8Array[] = [];
  for (let i = 1; (i - 1) * blockBits < bits; i++) {
    blocks.push(hmac(hashAlg, key, marshal(u32, i), lab, contextU, contextV, l));
  }
  return truncate(blocks, bits);
}

/** Part 1 §11.4.10.3 KDFe(hashAlg, Z, label, partyUInfo, partyVInfo, bits). */
export function kdfe(
  hashAlg: number,
  z: Uint8Array,
  label: string,
  partyUInfo: Uint8Array,
  partyVInfo: Uint8Array,
  bits: number,
): Uint8Array {
  checkBits(bits, "KDFe");
  const blockBits = digestSize(hashAlg, "KDFe hash") * 8;
  const lab = labelBytes(label);
  const blocks: Uint8Array[] = [];
  for (let i = 1; (i - 1) * blockBits < bits; i++) {
    blocks.push(hash(hashAlg, marshal(u32, i), z, lab, partyUInfo, partyVInfo));
  }
  return truncate(blocks, bits);
}
