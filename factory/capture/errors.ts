// Why a TPM was refused at the station (DESIGN §8): one error class with a stable code per
// check, and a message a line operator can act on without reading code.

export type CaptureErrorCode =
  /** No EK certificate at any profile index, and --allow-no-cert was not given. */
  | "CAPTURE_NO_EK_CERT"
  /** The NV bytes at a cert or chain index are not a certificate. */
  | "CAPTURE_CERT_MALFORMED"
  /** The EK made from the index's template is not the key in the certificate there. */
  | "CAPTURE_CERT_KEY_MISMATCH"
  /** The certificate does not chain to the station's CA store, or fails an EK profile check. */
  | "CAPTURE_CERT_UNTRUSTED"
  /** The EK the TPM made is not a usable EK (attributes, symmetric scheme). */
  | "CAPTURE_EK_INVALID"
  /** The TPM did not return the credential the station made for its EK and AK. */
  | "CAPTURE_ACTIVATION_FAILED"
  /** The TPM failed or could not be reached while reading it. */
  | "CAPTURE_TPM_ERROR";

export class CaptureError extends Error {
  override readonly name = "CaptureError";
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
