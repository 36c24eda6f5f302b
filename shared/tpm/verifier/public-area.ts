// TPM2B_PUBLIC bytes from outside (a registration's ek_tpm / aik_tpm, a manifest, a tpm2-tools
// `-u` file) decoded into a TPMT_PUBLIC, with a verifier error when they are not one.
import { marshal, TpmDecodeError, unmarshal } from "../codec/codec.js";
import { TPM2B_PUBLIC, type TpmtPublic } from "../structures/public.js";
import { TpmVerifierError } from "./errors.js";

/** The bytes are not a well-formed TPM2B_PUBLIC (Part 2 §12.2.5). */
export class PublicAreaError extends TpmVerifierError {
  override readonly name = "PublicAreaError";
  readonly code = "PUBLIC_AREA_MALFORMED";
}

/**
 * Decodes a TPM2B_PUBLIC (u16 size, then a TPMT_PUBLIC using exactly that many bytes, nothing
 * after it). `what` names the input in the message, e.g. "ek_tpm of agent d432fbb3…".
 */
export function parsePublicArea(tpm2bPublic: Uint8Array, what = "public area"): TpmtPublic {
  try {
    return unmarshal(TPM2B_PUBLIC, tpm2bPublic);
  } catch (e) {
    if (e instanceof TpmDecodeError) {
      throw new PublicAreaError(`${what} is not a valid TPM2B_PUBLIC: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

/** Encodes a TPMT_PUBLIC as a TPM2B_PUBLIC (what tpm2_readpublic -o / tpm2_createek -u write). */
export const encodePublicArea = (pub: TpmtPublic): Uint8Array => marshal(TPM2B_PUBLIC, pub);
