// Part 2 §11 and §12: algorithm parameters, schemes and the public area of an object.
import type { Infer } from "../codec/codec.js";
import { empty, sized, struct, tpm2b, u16, u32, variant } from "../codec/primitives.js";
import { TPM_ALG } from "../constants.js";
import { TPM2B_AUTH, TPM2B_DIGEST, TPM2B_SENSITIVE_DATA } from "./basic.js";

const hashOnly = (name: string) => struct(name, { hashAlg: u16 });

/** §11.1.6 TPMT_SYM_DEF_OBJECT: the symmetric cipher a storage key uses (EKs: AES-128/256-CFB). */
export const TPMT_SYM_DEF_OBJECT = variant("TPMT_SYM_DEF_OBJECT", "algorithm", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.AES, struct("TPMS_SYM_AES", { keyBits: u16, mode: u16 })],
  [TPM_ALG.SM4, struct("TPMS_SYM_SM4", { keyBits: u16, mode: u16 })],
  [TPM_ALG.CAMELLIA, struct("TPMS_SYM_CAMELLIA", { keyBits: u16, mode: u16 })],
]);

/** §11.1.5 TPMT_SYM_DEF: as above, plus XOR obfuscation (for sessions). */
export const TPMT_SYM_DEF = variant("TPMT_SYM_DEF", "algorithm", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.AES, struct("TPMS_SYM_AES", { keyBits: u16, mode: u16 })],
  [TPM_ALG.XOR, hashOnly("TPMS_SYM_XOR")],
]);

/** §11.2.4.2 TPMT_RSA_SCHEME */
export const TPMT_RSA_SCHEME = variant("TPMT_RSA_SCHEME", "scheme", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.RSASSA, hashOnly("TPMS_SIG_SCHEME_RSASSA")],
  [TPM_ALG.RSAPSS, hashOnly("TPMS_SIG_SCHEME_RSAPSS")],
  [TPM_ALG.OAEP, hashOnly("TPMS_ENC_SCHEME_OAEP")],
  [TPM_ALG.RSAES, empty],
]);

/** §11.2.5.6 TPMT_ECC_SCHEME */
export const TPMT_ECC_SCHEME = variant("TPMT_ECC_SCHEME", "scheme", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.ECDSA, hashOnly("TPMS_SIG_SCHEME_ECDSA")],
  [TPM_ALG.ECDH, hashOnly("TPMS_KEY_SCHEME_ECDH")],
  [TPM_ALG.ECSCHNORR, hashOnly("TPMS_SIG_SCHEME_ECSCHNORR")],
  [TPM_ALG.SM2, hashOnly("TPMS_SIG_SCHEME_SM2")],
  [TPM_ALG.ECMQV, hashOnly("TPMS_KEY_SCHEME_ECMQV")],
  [TPM_ALG.ECDAA, struct("TPMS_SIG_SCHEME_ECDAA", { hashAlg: u16, count: u16 })],
]);

/** §11.2.3.3 TPMT_KDF_SCHEME */
export const TPMT_KDF_SCHEME = variant("TPMT_KDF_SCHEME", "scheme", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.MGF1, hashOnly("TPMS_SCHEME_MGF1")],
  [TPM_ALG.KDF1_SP800_56A, hashOnly("TPMS_SCHEME_KDF1_SP800_56A")],
  [TPM_ALG.KDF2, hashOnly("TPMS_SCHEME_KDF2")],
  [TPM_ALG.KDF1_SP800_108, hashOnly("TPMS_SCHEME_KDF1_SP800_108")],
]);

/** §11.1.23 TPMT_KEYEDHASH_SCHEME */
export const TPMT_KEYEDHASH_SCHEME = variant("TPMT_KEYEDHASH_SCHEME", "scheme", u16, [
  [TPM_ALG.NULL, empty],
  [TPM_ALG.HMAC, hashOnly("TPMS_SCHEME_HMAC")],
  [TPM_ALG.XOR, struct("TPMS_SCHEME_XOR", { hashAlg: u16, kdf: u16 })],
]);

/** §11.2.4.5 TPM2B_PUBLIC_KEY_RSA: up to a 4096-bit modulus. */
export const TPM2B_PUBLIC_KEY_RSA = tpm2b("TPM2B_PUBLIC_KEY_RSA", 512);
/** §11.2.5.1 TPM2B_ECC_PARAMETER: up to P-521 (66 bytes). */
export const TPM2B_ECC_PARAMETER = tpm2b("TPM2B_ECC_PARAMETER", 66);
/** §11.2.5.2 TPMS_ECC_POINT */
export const TPMS_ECC_POINT = struct("TPMS_ECC_POINT", { x: TPM2B_ECC_PARAMETER, y: TPM2B_ECC_PARAMETER });
/** §11.2.5.3 TPM2B_ECC_POINT */
export const TPM2B_ECC_POINT = sized("TPM2B_ECC_POINT", TPMS_ECC_POINT);

/** §12.2.3.5 TPMS_RSA_PARMS */
export const TPMS_RSA_PARMS = struct("TPMS_RSA_PARMS", {
  symmetric: TPMT_SYM_DEF_OBJECT,
  scheme: TPMT_RSA_SCHEME,
  keyBits: u16,
  /** 0 means the default exponent 65537. */
  exponent: u32,
});

/** §12.2.3.6 TPMS_ECC_PARMS */
export const TPMS_ECC_PARMS = struct("TPMS_ECC_PARMS", {
  symmetric: TPMT_SYM_DEF_OBJECT,
  scheme: TPMT_ECC_SCHEME,
  curveID: u16,
  kdf: TPMT_KDF_SCHEME,
});

/** §12.2.3.3 TPMS_KEYEDHASH_PARMS and §12.2.3.4 TPMS_SYMCIPHER_PARMS */
export const TPMS_KEYEDHASH_PARMS = struct("TPMS_KEYEDHASH_PARMS", { scheme: TPMT_KEYEDHASH_SCHEME });
export const TPMS_SYMCIPHER_PARMS = struct("TPMS_SYMCIPHER_PARMS", { sym: TPMT_SYM_DEF_OBJECT });

/** The fields every public area has between `type` and `parameters` (§12.2.4). */
const publicHeader = {
  nameAlg: u16,
  /** TPMA_OBJECT bits. */
  objectAttributes: u32,
  authPolicy: TPM2B_DIGEST,
};

/** §12.2.4 TPMT_PUBLIC: the public area of an object, selected by `type`. */
export const TPMT_PUBLIC = variant("TPMT_PUBLIC", "type", u16, [
  [
    TPM_ALG.RSA,
    struct("TPMT_PUBLIC.rsa", { ...publicHeader, parameters: TPMS_RSA_PARMS, unique: TPM2B_PUBLIC_KEY_RSA }),
  ],
  [
    TPM_ALG.ECC,
    struct("TPMT_PUBLIC.ecc", { ...publicHeader, parameters: TPMS_ECC_PARMS, unique: TPMS_ECC_POINT }),
  ],
  [
    TPM_ALG.KEYEDHASH,
    struct("TPMT_PUBLIC.keyedhash", {
      ...publicHeader,
      parameters: TPMS_KEYEDHASH_PARMS,
      unique: TPM2B_DIGEST,
    }),
  ],
  [
    TPM_ALG.SYMCIPHER,
    struct("TPMT_PUBLIC.symcipher", {
      ...publicHeader,
      parameters: TPMS_SYMCIPHER_PARMS,
      unique: TPM2B_DIGEST,
    }),
  ],
]);
export type TpmtPublic = Infer<typeof TPMT_PUBLIC>;
export type RsaPublic = Extract<TpmtPublic, { type: typeof TPM_ALG.RSA }>;
export type EccPublic = Extract<TpmtPublic, { type: typeof TPM_ALG.ECC }>;

/** §12.2.5 TPM2B_PUBLIC */
export const TPM2B_PUBLIC = sized("TPM2B_PUBLIC", TPMT_PUBLIC);

/** §12.3.2.3 TPMS_SENSITIVE_CREATE and §12.3.2.4 TPM2B_SENSITIVE_CREATE */
export const TPMS_SENSITIVE_CREATE = struct("TPMS_SENSITIVE_CREATE", {
  userAuth: TPM2B_AUTH,
  data: TPM2B_SENSITIVE_DATA,
});
export const TPM2B_SENSITIVE_CREATE = sized("TPM2B_SENSITIVE_CREATE", TPMS_SENSITIVE_CREATE);

/** §12.3.7 TPM2B_PRIVATE: opaque to us, bounded by sizeof(_PRIVATE). */
export const TPM2B_PRIVATE = tpm2b("TPM2B_PRIVATE", 2048);

/** §15.2 TPM2B_CREATION_DATA: we never need its inside, only to skip it safely. */
export const TPM2B_CREATION_DATA = tpm2b("TPM2B_CREATION_DATA", 4096);
