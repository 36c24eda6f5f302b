// Independent re-statements of the TPM's formulas for the unit tests, written straight from
// Part 1 §11.4.10 and §24 with node:crypto primitives and plain Buffers. They share no code
// with the module under test, so agreement between the two means something.
import { createDecipheriv, createHash, createHmac } from "node:crypto";

const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

function leftBits(blocks: Buffer[], bits: number): Buffer {
  const out = Buffer.concat(blocks).subarray(0, Math.ceil(bits / 8));
  if (bits % 8) out[0] = (out[0] as number) & (0xff >> (8 - (bits % 8)));
  return out;
}

/** K(i) = HMAC(key, [i]_32 ‖ label ‖ 00 ‖ u ‖ v ‖ [bits]_32). */
export function refKdfa(
  hash: string,
  key: Uint8Array,
  label: string,
  u: Uint8Array,
  v: Uint8Array,
  bits: number,
): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 1, got = 0; got < bits; i++) {
    const block = createHmac(hash, key)
      .update(be32(i))
      .update(Buffer.from(`${label}\0`, "ascii"))
      .update(u)
      .update(v)
      .update(be32(bits))
      .digest();
    blocks.push(block);
    got += block.length * 8;
  }
  return leftBits(blocks, bits);
}

/** K(i) = H([i]_32 ‖ Z ‖ label ‖ 00 ‖ u ‖ v). */
export function refKdfe(
  hash: string,
  z: Uint8Array,
  label: string,
  u: Uint8Array,
  v: Uint8Array,
  bits: number,
): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 1, got = 0; got < bits; i++) {
    const block = createHash(hash)
      .update(be32(i))
      .update(z)
      .update(Buffer.from(`${label}\0`, "ascii"))
      .update(u)
      .update(v)
      .digest();
    blocks.push(block);
    got += block.length * 8;
  }
  return leftBits(blocks, bits);
}

/**
 * What TPM2_ActivateCredential does with the seed (Part 1 §24.4–§24.5, Part 3 §12.5): checks
 * the outer HMAC, decrypts encIdentity and unwraps the TPM2B_DIGEST. Throws on any mismatch.
 */
export function refActivate(
  hash: string,
  seed: Uint8Array,
  akName: Uint8Array,
  symBits: number,
  integrityHMAC: Uint8Array,
  encIdentity: Uint8Array,
): Buffer {
  const digestBytes = createHash(hash).digest().length;
  const hmacKey = refKdfa(hash, seed, "INTEGRITY", Buffer.alloc(0), Buffer.alloc(0), digestBytes * 8);
  const mac = createHmac(hash, hmacKey).update(encIdentity).update(akName).digest();
  if (!mac.equals(Buffer.from(integrityHMAC))) throw new Error("integrity HMAC mismatch");
  const symKey = refKdfa(hash, seed, "STORAGE", akName, Buffer.alloc(0), symBits);
  const d = createDecipheriv(`aes-${symBits}-cfb`, symKey, Buffer.alloc(16));
  const plain = Buffer.concat([d.update(encIdentity), d.final()]);
  const size = plain.readUInt16BE(0);
  if (size + 2 !== plain.length)
    throw new Error(`TPM2B_DIGEST size ${size} does not fit ${plain.length} bytes`);
  return plain.subarray(2);
}
