// The credential file of tpm2-tools, which keylime also uses as the registrar's `blob`
// (DESIGN §5/§6): what `tpm2_makecredential -o FILE` writes and `tpm2_activatecredential -i FILE`
// reads (tpm2-tools 5.4, checked against the tools in test/interop):
//
//   u32 magic 0xBADCC0DE ‖ u32 version 1 ‖ TPM2B_ID_OBJECT ‖ TPM2B_ENCRYPTED_SECRET
//
// all big-endian, the two TPM2Bs marshalled as in Part 2 §11.4.11 and §11.4.33 (size first).
import { marshal, TpmDecodeError, unmarshalPrefix } from "../codec/codec.js";
import { struct, u32 } from "../codec/primitives.js";
import { TPM2B_ENCRYPTED_SECRET, TPM2B_ID_OBJECT } from "../structures/credential.js";
import { TpmVerifierError } from "./errors.js";
import type { MakeCredentialOutput } from "./make-credential.js";

/** The first four bytes of every tpm2-tools credential file. */
export const CREDENTIAL_BLOB_MAGIC = 0xbadcc0de;
/** The only version tpm2-tools writes or reads. */
export const CREDENTIAL_BLOB_VERSION = 1;

const header = struct("credential blob header", { magic: u32, version: u32 });
const body = struct("credential blob", { credentialBlob: TPM2B_ID_OBJECT, secret: TPM2B_ENCRYPTED_SECRET });
const file = struct("credential blob file", { ...header.fields, ...body.fields });

export type CredentialBlobErrorCode =
  | "CREDENTIAL_BLOB_BAD_MAGIC"
  | "CREDENTIAL_BLOB_BAD_VERSION"
  | "CREDENTIAL_BLOB_TRUNCATED"
  | "CREDENTIAL_BLOB_TRAILING_BYTES"
  | "CREDENTIAL_BLOB_MALFORMED";

/** The bytes are not a credential blob in the tpm2-tools layout. */
export class CredentialBlobError extends TpmVerifierError {
  override readonly name = "CredentialBlobError";
  constructor(
    readonly code: CredentialBlobErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Encodes MakeCredential's output as the tpm2-tools credential file. */
export function encodeCredentialBlob({ credentialBlob, secret }: MakeCredentialOutput): Uint8Array {
  return marshal(file, {
    magic: CREDENTIAL_BLOB_MAGIC,
    version: CREDENTIAL_BLOB_VERSION,
    credentialBlob,
    secret,
  });
}

const hex32 = (v: number) => `0x${v.toString(16).toUpperCase().padStart(8, "0")}`;

/**
 * The codec reports running out of input as "needs N more byte(s)" (Reader.need); every other
 * decode failure is a structure that cannot be right however many bytes follow.
 */
const isTruncation = (e: TpmDecodeError) => /needs \d+ more byte/.test(e.message);

/**
 * Strictly decodes a credential file: right magic and version, both structures complete and
 * within their bounds, nothing after them. `what` names the input in messages.
 */
export function decodeCredentialBlob(bytes: Uint8Array, what = "credential blob"): MakeCredentialOutput {
  if (!(bytes instanceof Uint8Array))
    throw new CredentialBlobError("CREDENTIAL_BLOB_MALFORMED", `${what} is not bytes`);
  if (bytes.length < 8) {
    throw new CredentialBlobError(
      "CREDENTIAL_BLOB_TRUNCATED",
      `${what} is ${bytes.length} bytes, shorter than its 8-byte header (magic, version)`,
    );
  }
  const { value: head } = unmarshalPrefix(header, bytes);
  if (head.magic !== CREDENTIAL_BLOB_MAGIC) {
    throw new CredentialBlobError(
      "CREDENTIAL_BLOB_BAD_MAGIC",
      `${what} starts with ${hex32(head.magic)}, not the tpm2-tools credential magic ${hex32(CREDENTIAL_BLOB_MAGIC)}: it is not a tpm2_makecredential file`,
    );
  }
  if (head.version !== CREDENTIAL_BLOB_VERSION) {
    throw new CredentialBlobError(
      "CREDENTIAL_BLOB_BAD_VERSION",
      `${what} has version ${head.version}; only version ${CREDENTIAL_BLOB_VERSION} exists`,
    );
  }
  const rest = bytes.subarray(8);
  let decoded: { value: MakeCredentialOutput; length: number };
  try {
    decoded = unmarshalPrefix(body, rest);
  } catch (e) {
    if (!(e instanceof TpmDecodeError)) throw e;
    const code = isTruncation(e) ? "CREDENTIAL_BLOB_TRUNCATED" : "CREDENTIAL_BLOB_MALFORMED";
    const why = code === "CREDENTIAL_BLOB_TRUNCATED" ? "is cut short" : "is malformed";
    throw new CredentialBlobError(code, `${what} ${why}: ${e.message}`, { cause: e });
  }
  if (decoded.length !== rest.length) {
    throw new CredentialBlobError(
      "CREDENTIAL_BLOB_TRAILING_BYTES",
      `${what} has ${rest.length - decoded.length} unexpected byte(s) after TPM2B_ENCRYPTED_SECRET`,
    );
  }
  const { credentialBlob, secret } = decoded.value;
  if (
    credentialBlob.integrityHMAC.length === 0 ||
    credentialBlob.encIdentity.length === 0 ||
    secret.length === 0
  ) {
    throw new CredentialBlobError(
      "CREDENTIAL_BLOB_MALFORMED",
      `${what} has an empty integrityHMAC, encIdentity or secret: no TPM can activate it`,
    );
  }
  return decoded.value;
}
