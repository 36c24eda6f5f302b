// EK authorization policies, TCG EK Credential Profile 2.x §B.6.
//  PolicyA = PolicySecret(TPM_RH_ENDORSEMENT): computed from its definition.
//  PolicyC = PolicyAuthorizeNV on the EK policy index: a published constant per hash.
//  PolicyB = PolicyOR(PolicyA, PolicyC): the authPolicy of the high-range (H-x) templates.
import { TPM_ALG } from "../constants.js";
import { emptyPolicy, policyOrDigest, policySecretDigest } from "../policy-digest.js";
import { TPM_RH } from "../types.js";

/** The name of a permanent handle is the handle itself, big-endian (Part 1 §16). */
const ENDORSEMENT_NAME = new Uint8Array([0x40, 0x00, 0x00, 0x0b]);

const POLICY_C: Readonly<Record<number, string>> = {
  [TPM_ALG.SHA256]: "3767e2edd43ff45a3a7e1eaefcef78643dca964632e7aad82c673a30d8633fde",
  [TPM_ALG.SHA384]:
    "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165",
};

export function policyA(hashAlg: number): Uint8Array {
  return policySecretDigest(hashAlg, emptyPolicy(hashAlg), ENDORSEMENT_NAME);
}

export function policyC(hashAlg: number): Uint8Array {
  const hex = POLICY_C[hashAlg];
  if (!hex) throw new RangeError(`no EK PolicyC is known for hash 0x${hashAlg.toString(16)}`);
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function policyB(hashAlg: number): Uint8Array {
  return policyOrDigest(hashAlg, [policyA(hashAlg), policyC(hashAlg)]);
}

/** The hierarchy whose auth value PolicyA asks for. */
export const EK_POLICY_AUTH_HANDLE = TPM_RH.ENDORSEMENT;
