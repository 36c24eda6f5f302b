// Part 2 §10: basic sized buffers and hash-tagged values.
import { fixed, struct, tpm2b, u16, u32, variant } from "../codec/primitives.js";
import { TPM_ALG } from "../constants.js";

/** Largest digest we support: SHA-512 (sizeof(TPMU_HA)). */
export const MAX_DIGEST = 64;

/** §10.4.2 TPM2B_DIGEST; also TPM2B_NONCE and TPM2B_AUTH (§10.4.3, §10.4.4). */
export const TPM2B_DIGEST = tpm2b("TPM2B_DIGEST", MAX_DIGEST);
export const TPM2B_NONCE = tpm2b("TPM2B_NONCE", MAX_DIGEST);
export const TPM2B_AUTH = tpm2b("TPM2B_AUTH", MAX_DIGEST);
/** §10.4.3 TPM2B_DATA: at most sizeof(TPMT_HA). */
export const TPM2B_DATA = tpm2b("TPM2B_DATA", MAX_DIGEST + 2);
/** §10.5.3 TPM2B_NAME: a handle (4 bytes) or a TPMT_HA (2 + digest). */
export const TPM2B_NAME = tpm2b("TPM2B_NAME", MAX_DIGEST + 2);
/** §10.4.8 TPM2B_MAX_BUFFER; MAX_DIGEST_BUFFER is 1024 in the reference; bounded generously. */
export const TPM2B_MAX_BUFFER = tpm2b("TPM2B_MAX_BUFFER", 4096);
/** §10.4.9 TPM2B_MAX_NV_BUFFER; MAX_NV_BUFFER_SIZE is vendor-defined (often 1024 or 2048). */
export const TPM2B_MAX_NV_BUFFER = tpm2b("TPM2B_MAX_NV_BUFFER", 4096);
/** §10.4.5 TPM2B_EVENT */
export const TPM2B_EVENT = tpm2b("TPM2B_EVENT", 1024);
/** §11.1.16 TPM2B_SENSITIVE_DATA: MAX_SYM_DATA is 128. */
export const TPM2B_SENSITIVE_DATA = tpm2b("TPM2B_SENSITIVE_DATA", 128);

/** §10.3.2 TPMT_HA: a digest tagged with its algorithm. */
export const TPMT_HA = variant("TPMT_HA", "hashAlg", u16, [
  [TPM_ALG.SHA1, struct("TPMU_HA.sha1", { digest: fixed("sha1", 20) })],
  [TPM_ALG.SHA256, struct("TPMU_HA.sha256", { digest: fixed("sha256", 32) })],
  [TPM_ALG.SHA384, struct("TPMU_HA.sha384", { digest: fixed("sha384", 48) })],
  [TPM_ALG.SHA512, struct("TPMU_HA.sha512", { digest: fixed("sha512", 64) })],
  [TPM_ALG.NULL, struct("TPMU_HA.null", {})],
]);

/** §10.7.3 TPMT_TK_CREATION (and the same shape for §10.7.4–§10.7.6 tickets). */
export const TPMT_TK_CREATION = struct("TPMT_TK_CREATION", {
  tag: u16,
  hierarchy: u32,
  digest: TPM2B_DIGEST,
});
export const TPMT_TK_HASHCHECK = struct("TPMT_TK_HASHCHECK", {
  tag: u16,
  hierarchy: u32,
  digest: TPM2B_DIGEST,
});
