// TPMS_ATTEST (Part 2 §10.12.12), the structure a TPM signs in TPM2_Quote, TPM2_Certify and
// friends. It reaches the verifier as the contents of a TPM2B_ATTEST (§10.12.13): Quote's
// `quoted`, or the file `tpm2_quote -m` writes.
import { TpmDecodeError, unmarshal, unmarshalPrefix } from "../codec/codec.js";
import { u32 } from "../codec/primitives.js";
import { TPM_GENERATED_VALUE } from "../constants.js";
import { TPMS_ATTEST, type TpmsAttest } from "../structures/attest.js";
import { TpmVerifierError } from "./errors.js";

export type AttestErrorCode = "ATTEST_NOT_TPM_GENERATED" | "ATTEST_MALFORMED";

/** The bytes are not a TPMS_ATTEST made by a TPM. */
export class AttestError extends TpmVerifierError {
  override readonly name = "AttestError";
  constructor(
    readonly code: AttestErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const hex32 = (v: number) => `0x${v.toString(16).toUpperCase().padStart(8, "0")}`;

/**
 * Decodes TPMS_ATTEST bytes (TPM2B_ATTEST contents, without the size). `magic` must be
 * TPM_GENERATED_VALUE (Part 2 §6.2): a restricted signing key signs nothing that starts with
 * it unless the TPM built the data itself, which is what makes the structure trustworthy once
 * its signature checks. Every byte must belong to the structure.
 */
export function parseAttest(attest: Uint8Array, what = "attestation (TPMS_ATTEST)"): TpmsAttest {
  try {
    const { value: magic } = unmarshalPrefix(u32, attest);
    if (magic !== TPM_GENERATED_VALUE) {
      throw new AttestError(
        "ATTEST_NOT_TPM_GENERATED",
        `${what} starts with ${hex32(magic)}, not TPM_GENERATED_VALUE ${hex32(TPM_GENERATED_VALUE)}: it was not produced by a TPM`,
      );
    }
    return unmarshal(TPMS_ATTEST, attest);
  } catch (e) {
    if (!(e instanceof TpmDecodeError)) throw e;
    throw new AttestError("ATTEST_MALFORMED", `${what} is malformed: ${e.message}`, { cause: e });
  }
}
