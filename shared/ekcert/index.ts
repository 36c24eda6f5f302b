// shared/ekcert (DESIGN §4): EK certificates read from PEM, DER, base64 or NV dumps, checked
// against the EK credential profile, and chained to the manufacturer CA store.
//
//   readCertificateInput → parseCertificate → verifyEkCertificate({ store: loadCaDir(dir) })

export * from "./certificate.js";
export * as der from "./der.js";
export * from "./ek-pub-hash.js";
export * from "./errors.js";
export * from "./input.js";
export * from "./name.js";
export * from "./oid.js";
export * from "./signature.js";
export * from "./store.js";
export * from "./tpm-identity.js";
export type * from "./types.js";
export * from "./verify.js";
