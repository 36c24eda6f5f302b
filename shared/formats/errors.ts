// The errors of the file formats layer (DESIGN §5, STYLE "Errors an operator can act on").
//
// Every error has a stable `code` for scripts and for the metrics' `outcome` label:
// - CborError subclasses: bytes that are not CBOR of our strict profile (with the offset);
// - FormatVersionError: a payload whose `v` this build does not read;
// - CoseError subclasses: a COSE_Sign1 that does not parse or does not verify;
// - KeyFileError subclasses: a key file that is missing, of the wrong kind, or already there.
// Nothing in this module imports libsodium: the edge agent shares it through cose-verify.

/** Base class of every CBOR error. `offset` is where in the input it failed, when known. */
export abstract class CborError extends Error {
  abstract readonly code: string;
  constructor(
    /** What is wrong, without the offset. */
    readonly detail: string,
    public offset?: number,
  ) {
    super(offset === undefined ? detail : `${detail} (at offset ${offset})`);
  }

  /** Moves the offset by `by` bytes (an item read from the middle of a stream). */
  shift(by: number): void {
    if (this.offset === undefined || by === 0) return;
    this.offset += by;
    this.message = `${this.detail} (at offset ${this.offset})`;
  }
}

/** Bytes that are not well-formed CBOR: truncated, trailing bytes, reserved values, bad UTF-8. */
export class CborMalformedError extends CborError {
  override readonly name = "CborMalformedError";
  readonly code = "CBOR_MALFORMED";
}

/** Well-formed CBOR that is not in deterministic form: indefinite lengths, non-shortest heads. */
export class CborNotDeterministicError extends CborError {
  override readonly name = "CborNotDeterministicError";
  readonly code = "CBOR_NOT_DETERMINISTIC";
}

/** Input over a size limit: total bytes, nesting depth or item count. */
export class CborLimitError extends CborError {
  override readonly name = "CborLimitError";
  readonly code = "CBOR_LIMIT";
}

/** A tag the caller did not name as allowed. */
export class CborUnknownTagError extends CborError {
  override readonly name = "CborUnknownTagError";
  readonly code = "CBOR_UNKNOWN_TAG";
  constructor(
    readonly tag: number,
    offset: number,
  ) {
    super(`CBOR tag ${tag} is not allowed here`, offset);
  }
}

/** A map with the same key twice. */
export class CborDuplicateKeyError extends CborError {
  override readonly name = "CborDuplicateKeyError";
  readonly code = "CBOR_DUPLICATE_KEY";
}

/**
 * Well-formed CBOR outside the profile of DESIGN §5: floats, `undefined`, simple values,
 * integers beyond ±(2^53 − 1), map keys that are neither text nor integers.
 */
export class CborProfileError extends CborError {
  override readonly name = "CborProfileError";
  readonly code = "CBOR_PROFILE";
}

/** A value the encoder refuses to write (a float, `undefined`, a class instance…). */
export class CborEncodeError extends CborError {
  override readonly name = "CborEncodeError";
  readonly code = "CBOR_UNENCODABLE";
}

/** A payload whose format version `v` is missing or not one this build reads. */
export class FormatVersionError extends Error {
  override readonly name = "FormatVersionError";
  readonly code = "FORMAT_VERSION_UNKNOWN";
  constructor(
    /** What the payload is, e.g. "device manifest". */
    readonly what: string,
    /** The `v` found, or undefined when there is none. */
    readonly version: unknown,
    readonly supported: readonly number[],
  ) {
    super(
      version === undefined
        ? `${what} has no format version "v" (this build reads v ${supported.join(", ")})`
        : `${what} has format version v=${JSON.stringify(version)}, which this build does not read ` +
            `(it reads v ${supported.join(", ")}); upgrade the reader or re-export the file`,
    );
  }
}

/** Base class of the COSE_Sign1 errors. */
export abstract class CoseError extends Error {
  abstract readonly code: string;
}

/** Bytes that are not a COSE_Sign1 of DESIGN §5 (the CBOR error, if any, is the `cause`). */
export class CoseMalformedError extends CoseError {
  override readonly name = "CoseMalformedError";
  readonly code = "COSE_MALFORMED";
}

/** An `alg` other than EdDSA (-8) or Ed25519 (-19). */
export class CoseUnsupportedAlgError extends CoseError {
  override readonly name = "CoseUnsupportedAlgError";
  readonly code = "COSE_UNSUPPORTED_ALG";
  constructor(readonly alg: unknown) {
    super(`COSE_Sign1 uses algorithm ${JSON.stringify(alg)}; only EdDSA (-8) and Ed25519 (-19) are accepted`);
  }
}

/** A `kid` the key lookup does not know. */
export class CoseUnknownKidError extends CoseError {
  override readonly name = "CoseUnknownKidError";
  readonly code = "COSE_UNKNOWN_KID";
  constructor(readonly kid: Uint8Array) {
    super(
      `COSE_Sign1 is signed by key id ${Buffer.from(kid).toString("hex")}, which is not a known key ` +
        `(is the signer's public key registered?)`,
    );
  }
}

/** A signature that does not verify with the key its `kid` names. */
export class CoseBadSignatureError extends CoseError {
  override readonly name = "CoseBadSignatureError";
  readonly code = "COSE_BAD_SIGNATURE";
  constructor(readonly kid: Uint8Array) {
    super(
      `COSE_Sign1 signature does not verify with key ${Buffer.from(kid).toString("hex")}: ` +
        `the file was altered or signed by a different key with the same id`,
    );
  }
}

/** Base class of the key file errors. `path` is the file concerned. */
export abstract class KeyFileError extends Error {
  abstract readonly code: string;
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A key file that is not a PEM key of the expected kind. */
export class KeyFileInvalidError extends KeyFileError {
  override readonly name = "KeyFileInvalidError";
  readonly code = "KEY_FILE_INVALID";
}

/** A key file that would be overwritten. */
export class KeyFileExistsError extends KeyFileError {
  override readonly name = "KeyFileExistsError";
  readonly code = "KEY_FILE_EXISTS";
}

/** Base class of the bundle errors (DESIGN §5 "Bundle"). `index` is the manifest item concerned, when one is. */
export abstract class BundleError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly index?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A bundle that does not have the shape of DESIGN §5: a bad header payload, an item that is not a byte string. */
export class BundleMalformedError extends BundleError {
  override readonly name = "BundleMalformedError";
  readonly code = "BUNDLE_MALFORMED";
}

/** A manifest item whose SHA-256 is not the one the signed header lists for it. */
export class BundleDigestMismatchError extends BundleError {
  override readonly name = "BundleDigestMismatchError";
  readonly code = "BUNDLE_DIGEST_MISMATCH";
  constructor(index: number) {
    super(
      `bundle item ${index} does not match the digest in the signed header: the bundle was altered or damaged`,
      index,
    );
  }
}

/** A bundle with fewer or more manifest items than its signed header counts. */
export class BundleItemCountError extends BundleError {
  override readonly name = "BundleItemCountError";
  readonly code = "BUNDLE_COUNT_MISMATCH";
  constructor(
    index: number,
    readonly expected: number,
    readonly problem: "missing" | "extra",
  ) {
    super(
      problem === "missing"
        ? `bundle item ${index} is missing: the signed header counts ${expected} items (truncated file?)`
        : `bundle has an extra item at index ${index}: the signed header counts only ${expected} items`,
      index,
    );
  }
}

/** Base class of the sealed-bundle errors (DESIGN §5 "Sealed form"). `chunk` is the chunk concerned, when one is. */
export abstract class SealError extends Error {
  abstract readonly code: string;
  constructor(
    message: string,
    readonly chunk?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A sealed file whose header or chunks do not have the shape of DESIGN §5. */
export class SealMalformedError extends SealError {
  override readonly name = "SealMalformedError";
  readonly code = "SEAL_MALFORMED";
}

/** A sealed bundle that the given registrar key cannot open. */
export class SealWrongKeyError extends SealError {
  override readonly name = "SealWrongKeyError";
  readonly code = "SEAL_WRONG_KEY";
  constructor(
    /** The kid the file says it is sealed to. */
    readonly sealedTo: Uint8Array,
    /** The kid of the key that was tried. */
    readonly triedKid: Uint8Array,
    detail?: string,
  ) {
    const to = Buffer.from(sealedTo).toString("hex");
    const tried = Buffer.from(triedKid).toString("hex");
    super(
      detail ??
        (to === tried
          ? `sealed bundle names registrar key ${to}, but that key does not open it (altered file or wrong private key)`
          : `sealed bundle is sealed to registrar X25519 key ${to}, not to this registrar's key ${tried}`),
    );
  }
}

/** A chunk that fails authentication: the sealed file was altered or damaged. */
export class SealCorruptError extends SealError {
  override readonly name = "SealCorruptError";
  readonly code = "SEAL_CORRUPT";
}

/** A sealed stream that ends before its final chunk. */
export class SealTruncatedError extends SealError {
  override readonly name = "SealTruncatedError";
  readonly code = "SEAL_TRUNCATED";
}

/** Data after the final chunk of a sealed stream. */
export class SealTrailingDataError extends SealError {
  override readonly name = "SealTrailingDataError";
  readonly code = "SEAL_TRAILING_DATA";
}
