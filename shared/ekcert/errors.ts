// The errors of the EK certificate parsing layer (DESIGN §4, STYLE "Errors an operator can act on").
//
// Three layers, three classes, each with a stable `code`:
// - DerError: the DER walker met bytes that are not DER (with the offset);
// - EkCertParseError: a certificate does not parse; parseCertificate throws nothing else, and
//   wraps any DerError as `cause`, naming the field ("tbsCertificate.validity.notAfter: …");
// - EkCertUnreadableError: a file or request body holds no certificate we can find.

/** Bytes that are not the DER the reader expected. `offset` is where in the input it failed. */
export class DerError extends Error {
  override readonly name = "DerError";
  readonly code = "DER_MALFORMED";
  constructor(
    /** What is wrong, without the offset. */
    readonly detail: string,
    readonly offset: number,
  ) {
    super(`${detail} (at offset ${offset})`);
  }
}

/** A certificate that does not parse. The message says which field and what is wrong with it. */
export class EkCertParseError extends Error {
  override readonly name: string = "EkCertParseError";
  readonly code = "EK_CERT_MALFORMED";
  /** Byte offset in the certificate's DER, when known. */
  readonly offset?: number;
  constructor(message: string, options?: { cause?: unknown; offset?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.offset !== undefined) this.offset = options.offset;
  }
}

/**
 * A certificate (or one of its keys) uses an algorithm we do not implement. A subclass of
 * EkCertParseError, so callers that map parse failures to EK_CERT_MALFORMED need nothing more;
 * `oid` says which algorithm it was.
 */
export class UnsupportedAlgorithmError extends EkCertParseError {
  override readonly name: string = "UnsupportedAlgorithmError";
  constructor(
    /** What the algorithm is for, e.g. "signature algorithm", "EC curve". */
    readonly what: string,
    /** Dotted OID. */
    readonly oid: string,
    message: string,
  ) {
    super(message);
  }
}

/** Input (a file, a request body, NV contents) in which no certificate can be found. */
export class EkCertUnreadableError extends Error {
  override readonly name = "EkCertUnreadableError";
  readonly code = "EK_CERT_UNREADABLE";
}

/** Wraps whatever a parsing step threw as an EkCertParseError naming the step (`what`). */
export function toParseError(what: string, e: unknown): EkCertParseError {
  if (e instanceof EkCertParseError) return e;
  if (e instanceof DerError)
    return new EkCertParseError(`${what}: ${e.message}`, { cause: e, offset: e.offset });
  const detail = e instanceof Error ? e.message : String(e);
  return new EkCertParseError(`${what}: ${detail}`, { cause: e });
}
