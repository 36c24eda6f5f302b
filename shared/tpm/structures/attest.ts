// Part 2 §10.12: TPMS_ATTEST, the structure a TPM signs in Quote, Certify and friends.
import type { Codec, Infer } from "../codec/codec.js";
import { constant, struct, tpm2b, u16, u32, u64, variant, yesNo } from "../codec/primitives.js";
import { TPM_GENERATED_VALUE, TPM_ST } from "../constants.js";
import { TPM2B_DATA, TPM2B_DIGEST, TPM2B_MAX_NV_BUFFER, TPM2B_NAME } from "./basic.js";
import { TPML_PCR_SELECTION } from "./pcr.js";

/** §10.11.1 TPMS_CLOCK_INFO */
export const TPMS_CLOCK_INFO = struct("TPMS_CLOCK_INFO", {
  clock: u64,
  resetCount: u32,
  restartCount: u32,
  safe: yesNo,
});

/** §10.12.1 TPMS_QUOTE_INFO */
export const TPMS_QUOTE_INFO = struct("TPMS_QUOTE_INFO", {
  pcrSelect: TPML_PCR_SELECTION,
  pcrDigest: TPM2B_DIGEST,
});
/** §10.12.3 TPMS_CERTIFY_INFO */
export const TPMS_CERTIFY_INFO = struct("TPMS_CERTIFY_INFO", { name: TPM2B_NAME, qualifiedName: TPM2B_NAME });
/** §10.12.7 TPMS_CREATION_INFO */
export const TPMS_CREATION_INFO = struct("TPMS_CREATION_INFO", {
  objectName: TPM2B_NAME,
  creationHash: TPM2B_DIGEST,
});
/** §10.11.6 TPMS_TIME_ATTEST_INFO */
export const TPMS_TIME_ATTEST_INFO = struct("TPMS_TIME_ATTEST_INFO", {
  time: struct("TPMS_TIME_INFO", { time: u64, clockInfo: TPMS_CLOCK_INFO }),
  firmwareVersion: u64,
});
/** §10.12.4 TPMS_COMMAND_AUDIT_INFO */
export const TPMS_COMMAND_AUDIT_INFO = struct("TPMS_COMMAND_AUDIT_INFO", {
  auditCounter: u64,
  digestAlg: u16,
  auditDigest: TPM2B_DIGEST,
  commandDigest: TPM2B_DIGEST,
});
/** §10.12.5 TPMS_SESSION_AUDIT_INFO */
export const TPMS_SESSION_AUDIT_INFO = struct("TPMS_SESSION_AUDIT_INFO", {
  exclusiveSession: yesNo,
  sessionDigest: TPM2B_DIGEST,
});
/** §10.12.8 TPMS_NV_CERTIFY_INFO and §10.12.9 TPMS_NV_DIGEST_CERTIFY_INFO */
export const TPMS_NV_CERTIFY_INFO = struct("TPMS_NV_CERTIFY_INFO", {
  indexName: TPM2B_NAME,
  offset: u16,
  nvContents: TPM2B_MAX_NV_BUFFER,
});
export const TPMS_NV_DIGEST_CERTIFY_INFO = struct("TPMS_NV_DIGEST_CERTIFY_INFO", {
  indexName: TPM2B_NAME,
  nvDigest: TPM2B_DIGEST,
});

/** The fields between `type` and `attested` (§10.12.12). */
const attestHeader = {
  qualifiedSigner: TPM2B_NAME,
  /** The caller's nonce (qualifyingData), echoed back. */
  extraData: TPM2B_DATA,
  clockInfo: TPMS_CLOCK_INFO,
  firmwareVersion: u64,
};
const arm = <C extends Codec<object>>(name: string, attested: C) =>
  struct(name, { ...attestHeader, attested });

/** §10.12.12 TPMS_ATTEST: `magic` must be TPM_GENERATED_VALUE, which is what makes it TPM-made. */
export const TPMS_ATTEST = variant(
  "TPMS_ATTEST",
  "type",
  u16,
  [
    [TPM_ST.ATTEST_QUOTE, arm("TPMS_ATTEST.quote", TPMS_QUOTE_INFO)],
    [TPM_ST.ATTEST_CERTIFY, arm("TPMS_ATTEST.certify", TPMS_CERTIFY_INFO)],
    [TPM_ST.ATTEST_CREATION, arm("TPMS_ATTEST.creation", TPMS_CREATION_INFO)],
    [TPM_ST.ATTEST_TIME, arm("TPMS_ATTEST.time", TPMS_TIME_ATTEST_INFO)],
    [TPM_ST.ATTEST_COMMAND_AUDIT, arm("TPMS_ATTEST.commandAudit", TPMS_COMMAND_AUDIT_INFO)],
    [TPM_ST.ATTEST_SESSION_AUDIT, arm("TPMS_ATTEST.sessionAudit", TPMS_SESSION_AUDIT_INFO)],
    [TPM_ST.ATTEST_NV, arm("TPMS_ATTEST.nv", TPMS_NV_CERTIFY_INFO)],
    [TPM_ST.ATTEST_NV_DIGEST, arm("TPMS_ATTEST.nvDigest", TPMS_NV_DIGEST_CERTIFY_INFO)],
  ],
  struct("TPMS_ATTEST.head", { magic: constant("TPM_GENERATED", u32, TPM_GENERATED_VALUE) }),
);
export type TpmsAttest = Infer<typeof TPMS_ATTEST>;

/** §10.12.13 TPM2B_ATTEST: kept as bytes, since the signature covers exactly these bytes. */
export const TPM2B_ATTEST = tpm2b("TPM2B_ATTEST", 2048);
