// Computing policy digests the way the TPM extends them (Part 3 §23), so the EK templates can
// state their authPolicy by definition rather than as opaque constants where that is possible.
import { createHash } from "node:crypto";
import { marshal, TpmEncodeError } from "./codec/codec.js";
import { u32 } from "./codec/primitives.js";
import { HASH_ALGS, TPM_CC } from "./constants.js";

function hashOf(hashAlg: number): { name: string; size: number } {
  const alg = HASH_ALGS[hashAlg];
  if (!alg) throw new TpmEncodeError("policy", `unsupported policy hash 0x${hashAlg.toString(16)}`);
  return { name: alg.node, size: alg.size };
}

const h = (alg: string, ...parts: Uint8Array[]) => {
  const hash = createHash(alg);
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
};

/** The digest every policy session starts from: all zeros. */
export const emptyPolicy = (hashAlg: number): Uint8Array => new Uint8Array(hashOf(hashAlg).size);

/**
 * Part 3 §23.4 TPM2_PolicySecret, via PolicyUpdate (§23.2.3):
 * d' = H(H(d ‖ TPM_CC_PolicySecret ‖ authName) ‖ policyRef).
 */
export function policySecretDigest(
  hashAlg: number,
  previous: Uint8Array,
  authName: Uint8Array,
  policyRef: Uint8Array = new Uint8Array(),
): Uint8Array {
  const { name } = hashOf(hashAlg);
  return h(name, h(name, previous, marshal(u32, TPM_CC.PolicySecret), authName), policyRef);
}

/** Part 3 §23.6 TPM2_PolicyOR: d' = H(0…0 ‖ TPM_CC_PolicyOR ‖ branch digests). */
export function policyOrDigest(hashAlg: number, branches: readonly Uint8Array[]): Uint8Array {
  const { name, size } = hashOf(hashAlg);
  return h(name, new Uint8Array(size), marshal(u32, TPM_CC.PolicyOR), ...branches);
}
