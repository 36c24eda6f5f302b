// Constants of TPM 2.0 Part 2 (Structures), revision 1.59. Section numbers are Part 2's.

/** §6.3 TPM_ALG_ID */
export const TPM_ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  MGF1: 0x0007,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  SM4: 0x0013,
  RSASSA: 0x0014,
  RSAES: 0x0015,
  RSAPSS: 0x0016,
  OAEP: 0x0017,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECMQV: 0x001d,
  KDF1_SP800_56A: 0x0020,
  KDF2: 0x0021,
  KDF1_SP800_108: 0x0022,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CAMELLIA: 0x0026,
  CTR: 0x0040,
  OFB: 0x0041,
  CBC: 0x0042,
  CFB: 0x0043,
  ECB: 0x0044,
} as const;

/** §6.4 TPM_ECC_CURVE */
export const TPM_ECC = {
  NONE: 0x0000,
  NIST_P192: 0x0001,
  NIST_P224: 0x0002,
  NIST_P256: 0x0003,
  NIST_P384: 0x0004,
  NIST_P521: 0x0005,
  BN_P256: 0x0010,
  BN_P638: 0x0011,
  SM2_P256: 0x0020,
} as const;

/** §6.5.2 TPM_CC: the commands this stack knows. */
export const TPM_CC = {
  NV_UndefineSpaceSpecial: 0x011f,
  EvictControl: 0x0120,
  NV_UndefineSpace: 0x0122,
  NV_DefineSpace: 0x012a,
  CreatePrimary: 0x0131,
  NV_Write: 0x0137,
  Startup: 0x0144,
  Shutdown: 0x0145,
  ActivateCredential: 0x0147,
  NV_Read: 0x014e,
  PolicySecret: 0x0151,
  Create: 0x0153,
  Load: 0x0157,
  Quote: 0x0158,
  ContextLoad: 0x0161,
  ContextSave: 0x0162,
  FlushContext: 0x0165,
  LoadExternal: 0x0167,
  MakeCredential: 0x0168,
  NV_ReadPublic: 0x0169,
  PolicyOR: 0x0171,
  ReadPublic: 0x0173,
  StartAuthSession: 0x0176,
  GetCapability: 0x017a,
  GetRandom: 0x017b,
  PCR_Read: 0x017e,
  PCR_Extend: 0x0182,
  PolicyGetDigest: 0x0189,
} as const;

/** §6.9 TPM_ST: structure tags. */
export const TPM_ST = {
  RSP_COMMAND: 0x00c4,
  NULL: 0x8000,
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  ATTEST_NV: 0x8014,
  ATTEST_COMMAND_AUDIT: 0x8015,
  ATTEST_SESSION_AUDIT: 0x8016,
  ATTEST_CERTIFY: 0x8017,
  ATTEST_QUOTE: 0x8018,
  ATTEST_TIME: 0x8019,
  ATTEST_CREATION: 0x801a,
  ATTEST_NV_DIGEST: 0x801c,
  CREATION: 0x8021,
  VERIFIED: 0x8022,
  AUTH_SECRET: 0x8023,
  HASHCHECK: 0x8024,
  AUTH_SIGNED: 0x8025,
} as const;

/** §6.2 TPM_GENERATED_VALUE: the magic that starts every TPMS_ATTEST the TPM signs. */
export const TPM_GENERATED_VALUE = 0xff544347;

/** §6.10 TPM_SU */
export const TPM_SU = { CLEAR: 0x0000, STATE: 0x0001 } as const;

/** §6.11 TPM_SE */
export const TPM_SE = { HMAC: 0x00, POLICY: 0x01, TRIAL: 0x03 } as const;

/** §6.12 TPM_CAP */
export const TPM_CAP = {
  ALGS: 0x00,
  HANDLES: 0x01,
  COMMANDS: 0x02,
  PP_COMMANDS: 0x03,
  AUDIT_COMMANDS: 0x04,
  PCRS: 0x05,
  TPM_PROPERTIES: 0x06,
  PCR_PROPERTIES: 0x07,
  ECC_CURVES: 0x08,
} as const;

/** §6.13 TPM_PT: fixed (0x100…) and variable (0x200…) TPM properties. */
export const TPM_PT = {
  FAMILY_INDICATOR: 0x100,
  LEVEL: 0x101,
  REVISION: 0x102,
  DAY_OF_YEAR: 0x103,
  YEAR: 0x104,
  MANUFACTURER: 0x105,
  VENDOR_STRING_1: 0x106,
  VENDOR_STRING_2: 0x107,
  VENDOR_STRING_3: 0x108,
  VENDOR_STRING_4: 0x109,
  VENDOR_TPM_TYPE: 0x10a,
  FIRMWARE_VERSION_1: 0x10b,
  FIRMWARE_VERSION_2: 0x10c,
  INPUT_BUFFER: 0x10d,
  HR_TRANSIENT_MIN: 0x10e,
  MAX_COMMAND_SIZE: 0x11e,
  MAX_RESPONSE_SIZE: 0x11f,
  NV_BUFFER_MAX: 0x12c,
  PERMANENT: 0x200,
  STARTUP_CLEAR: 0x201,
  LOCKOUT_COUNTER: 0x20e,
} as const;

/** §7.2 TPM_HT: the top byte of a handle says what it refers to. */
export const TPM_HT = {
  PCR: 0x00,
  NV_INDEX: 0x01,
  HMAC_SESSION: 0x02,
  POLICY_SESSION: 0x03,
  PERMANENT: 0x40,
  TRANSIENT: 0x80,
  PERSISTENT: 0x81,
} as const;

/** §8.3 TPMA_OBJECT bits. */
export const TPMA_OBJECT = {
  fixedTPM: 1 << 1,
  stClear: 1 << 2,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  adminWithPolicy: 1 << 7,
  noDA: 1 << 10,
  encryptedDuplication: 1 << 11,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
  x509sign: 1 << 19,
} as const;

/** §8.4 TPMA_SESSION bits. */
export const TPMA_SESSION = {
  continueSession: 0x01,
  auditExclusive: 0x02,
  auditReset: 0x04,
  decrypt: 0x20,
  encrypt: 0x40,
  audit: 0x80,
} as const;

/** §13.4 TPMA_NV bits (the TPM_NT field occupies bits 4..7). */
export const TPMA_NV = {
  PPWRITE: 1 << 0,
  OWNERWRITE: 1 << 1,
  AUTHWRITE: 1 << 2,
  POLICYWRITE: 1 << 3,
  POLICY_DELETE: 1 << 10,
  WRITELOCKED: 1 << 11,
  WRITEALL: 1 << 12,
  WRITEDEFINE: 1 << 13,
  WRITE_STCLEAR: 1 << 14,
  GLOBALLOCK: 1 << 15,
  PPREAD: 1 << 16,
  OWNERREAD: 1 << 17,
  AUTHREAD: 1 << 18,
  POLICYREAD: 1 << 19,
  NO_DA: 1 << 25,
  ORDERLY: 1 << 26,
  CLEAR_STCLEAR: 1 << 27,
  READLOCKED: 1 << 28,
  WRITTEN: 1 << 29,
  PLATFORMCREATE: 1 << 30,
  READ_STCLEAR: 2 ** 31,
} as const;

/** The hash algorithms this stack computes with: node:crypto's name and the digest size in bytes. */
export const HASH_ALGS: Readonly<Record<number, { readonly node: string; readonly size: number }>> = {
  [TPM_ALG.SHA1]: { node: "sha1", size: 20 },
  [TPM_ALG.SHA256]: { node: "sha256", size: 32 },
  [TPM_ALG.SHA384]: { node: "sha384", size: 48 },
  [TPM_ALG.SHA512]: { node: "sha512", size: 64 },
};

/** "SHA256 (0x000b)", or "0x1234" for an algorithm identifier this file does not name. */
export function algLabel(alg: number): string {
  const hex = `0x${alg.toString(16).padStart(4, "0")}`;
  const name = Object.entries(TPM_ALG).find(([, v]) => v === alg)?.[0];
  return name ? `${name} (${hex})` : hex;
}
