// Part 2 §11.2.1–§11.3: signature schemes and signatures.
import type { Infer } from "../codec/codec.js";
import { empty, struct, u16, variant } from "../codec/primitives.js";
import { TPM_ALG } from "../constants.js";
import { TPMT_HA } from "./basic.js";
import { TPM2B_ECC_PARAMETER, TPM2B_PUBLIC_KEY_RSA } from "./public.js";

const hashOnly = (name: string) => struct(name, { hashAlg: u16 });

/** §11.2.1.5 TPMT_SIG_SCHEME: what a Quote or Sign should use (NULL = the key's own scheme). */
export const TPMT_SIG_SCHEME = variant("TPMT_SIG_SCHEME", "scheme", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.RSASSA, hashOnly("TPMS_SIG_SCHEME_RSASSA")],
  [TPM_ALG.RSAPSS, hashOnly("TPMS_SIG_SCHEME_RSAPSS")],
  [TPM_ALG.ECDSA, hashOnly("TPMS_SIG_SCHEME_ECDSA")],
  [TPM_ALG.SM2, hashOnly("TPMS_SIG_SCHEME_SM2")],
  [TPM_ALG.ECSCHNORR, hashOnly("TPMS_SIG_SCHEME_ECSCHNORR")],
  [TPM_ALG.HMAC, hashOnly("TPMS_SCHEME_HMAC")],
  [TPM_ALG.ECDAA, struct("TPMS_SIG_SCHEME_ECDAA", { hashAlg: u16, count: u16 })],
]);

const rsaSig = (name: string) => struct(name, { hash: u16, sig: TPM2B_PUBLIC_KEY_RSA });
const eccSig = (name: string) =>
  struct(name, { hash: u16, signatureR: TPM2B_ECC_PARAMETER, signatureS: TPM2B_ECC_PARAMETER });

/** §11.3.4 TPMT_SIGNATURE */
export const TPMT_SIGNATURE = variant("TPMT_SIGNATURE", "sigAlg", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.RSASSA, rsaSig("TPMS_SIGNATURE_RSASSA")],
  [TPM_ALG.RSAPSS, rsaSig("TPMS_SIGNATURE_RSAPSS")],
  [TPM_ALG.ECDSA, eccSig("TPMS_SIGNATURE_ECDSA")],
  [TPM_ALG.ECDAA, eccSig("TPMS_SIGNATURE_ECDAA")],
  [TPM_ALG.SM2, eccSig("TPMS_SIGNATURE_SM2")],
  [TPM_ALG.ECSCHNORR, eccSig("TPMS_SIGNATURE_ECSCHNORR")],
  [TPM_ALG.HMAC, struct("TPMS_SIGNATURE_HMAC", { hmac: TPMT_HA })],
]);
export type TpmtSignature = Infer<typeof TPMT_SIGNATURE>;
