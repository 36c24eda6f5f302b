// Attestation key templates, as keylime and tpm2-tools' tpm2_createak make them: a restricted
// signing key that never leaves the TPM (fixedTPM, fixedParent, sensitiveDataOrigin), usable with
// its (empty) auth value.
import { TPM_ALG, TPM_ECC, TPMA_OBJECT } from "../constants.js";
import type { TpmtPublic } from "../structures/public.js";

export type AkAlg = "rsa" | "ecc";

export const AK_ATTRIBUTES =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.userWithAuth |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.sign;

const NULL_SYM = { algorithm: TPM_ALG.NULL } as const;

export const AK_TEMPLATES: Readonly<Record<AkAlg, TpmtPublic>> = {
  // RSA-2048, RSASSA-PKCS1-v1_5 with SHA-256.
  rsa: {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: AK_ATTRIBUTES,
    authPolicy: new Uint8Array(),
    parameters: {
      symmetric: NULL_SYM,
      scheme: { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 },
      keyBits: 2048,
      exponent: 0,
    },
    unique: new Uint8Array(),
  },
  // ECC NIST P-256, ECDSA with SHA-256.
  ecc: {
    type: TPM_ALG.ECC,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: AK_ATTRIBUTES,
    authPolicy: new Uint8Array(),
    parameters: {
      symmetric: NULL_SYM,
      scheme: { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 },
      curveID: TPM_ECC.NIST_P256,
      kdf: { scheme: TPM_ALG.NULL },
    },
    unique: { x: new Uint8Array(), y: new Uint8Array() },
  },
};
