// Why a registration or an activation was refused (DESIGN §6), in words an operator can act on,
// with a stable `code` for scripts and for the metrics' `outcome` label. The services know
// nothing of HTTP: `kind` says what sort of refusal it is, and the API maps it to a status.
import type { EkRejectCode } from "../../shared/ekcert/types.js";

/** invalid: the request itself is malformed (400); refused: the policy says no (403); unknown: no such agent (404). */
export type RegistrationErrorKind = "invalid" | "refused" | "unknown";

export type RegistrationErrorCode =
  | "AGENT_ID_INVALID"
  | "EK_TPM_MALFORMED"
  | "EK_NOT_STORAGE_KEY"
  | "AK_TPM_MALFORMED"
  | "AK_ATTRIBUTES_INVALID"
  | "EK_CERT_MALFORMED"
  | "EK_CERT_MISSING"
  | "EK_CERT_KEY_MISMATCH"
  | "NOT_PRE_REGISTERED"
  | "DEVICE_REVOKED"
  | "EK_TPM_MISMATCH"
  | "EK_CERT_MISMATCH"
  | "HASH_ONLY_NOT_ALLOWED"
  | "AGENT_KEYS_CHANGED"
  | "AGENT_NOT_FOUND"
  | "AUTH_TAG_MALFORMED"
  | "CHALLENGE_MISSING"
  | "CHALLENGE_USED"
  | "CHALLENGE_EXPIRED"
  | "AUTH_TAG_MISMATCH"
  /** The EK certificate's own check failed (chain, validity, profile): shared/ekcert's code. */
  | EkRejectCode;

export class RegistrationError extends Error {
  override readonly name = "RegistrationError";
  constructor(
    readonly kind: RegistrationErrorKind,
    readonly code: RegistrationErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const invalid = (code: RegistrationErrorCode, message: string, options?: ErrorOptions) =>
  new RegistrationError("invalid", code, message, options);
export const refused = (code: RegistrationErrorCode, message: string, options?: ErrorOptions) =>
  new RegistrationError("refused", code, message, options);
