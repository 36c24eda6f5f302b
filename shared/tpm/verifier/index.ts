// Verifier-side TPM 2.0 crypto (DESIGN §3): everything the registrar and the factory station
// check or compute about a TPM without talking to one. node:crypto only, so the edge agent
// can share it.
//
// Error contract: every function returns its result or throws a TpmVerifierError subclass
// with a stable `code` (see each class); nothing returns a failure value, and malformed bytes
// never escape as a bare TpmDecodeError.
export { AttestError, type AttestErrorCode, parseAttest } from "./attest.js";
export {
  akPublicViolations,
  checkAkPublic,
  checkEkPublic,
  ekPublicViolations,
  KeyAttributeError,
} from "./attributes.js";
export {
  CREDENTIAL_BLOB_MAGIC,
  CREDENTIAL_BLOB_VERSION,
  CredentialBlobError,
  type CredentialBlobErrorCode,
  decodeCredentialBlob,
  encodeCredentialBlob,
} from "./credential-blob.js";
export { algLabel, TpmVerifierError, UnsupportedAlgorithmError } from "./errors.js";
export { digestSize, hash, hmac, isSupportedHash, nodeHashName } from "./hash.js";
export { KdfError, kdfa, kdfe } from "./kdf.js";
export {
  MakeCredentialError,
  type MakeCredentialErrorCode,
  type MakeCredentialInput,
  type MakeCredentialOutput,
  makeCredential,
} from "./make-credential.js";
export { NameError, nvIndexName, objectName, parseName } from "./name.js";
export { encodePublicArea, PublicAreaError, parsePublicArea } from "./public-area.js";
export {
  DEFAULT_RSA_EXPONENT,
  ECC_CURVES,
  type EccKeyFields,
  eccCurve,
  keyObjectToPublicFields,
  PublicKeyError,
  publicAreaToKeyObject,
  publicAreaToSpki,
  type RsaKeyFields,
} from "./public-key.js";
export {
  type PcrBank,
  type PcrValues,
  type QuoteAttest,
  QuoteError,
  type QuoteErrorCode,
  quotePcrDigest,
  selectedPcrs,
  type VerifiedQuote,
  type VerifyQuoteInput,
  verifyQuote,
} from "./quote.js";
export {
  parseSignature,
  SIGNATURE_HASHES,
  SignatureError,
  type SignatureErrorCode,
  verifySignature,
} from "./signature.js";
