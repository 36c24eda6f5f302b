// ek_pub_sha256 (DESIGN §4): the registrar's identity for a TPM, the SHA-256 of the EK's
// SubjectPublicKeyInfo as OpenSSL writes it, i.e.
//   openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum
// which is also node's `publicKey.export({ type: "spki", format: "der" })`. Both re-encode the
// key: an RSA key under id-RSAES-OAEP comes out under rsaEncryption. We build that encoding from
// the key's own numbers (canonicalSpki) rather than through a KeyObject, which costs ~0.2 ms
// to import and as much to export.
import { createHash } from "node:crypto";
import { canonicalSpki, parsePublicKeyInfo } from "./certificate.js";
import type { Certificate } from "./types.js";

/** SHA-256 of the normalized DER SubjectPublicKeyInfo of the certificate's key, lowercase hex. */
export function ekPubSha256(cert: Pick<Certificate, "spki">): string {
  return spkiSha256(cert.spki);
}

/**
 * ekPubSha256 of the certificate, given a key already known in canonical form (`spki`, whose
 * hash is `sha256`): a certificate holding those very bytes certifies that key, and only
 * another encoding needs parsing, canonicalizing and hashing.
 */
export function certKeySha256(
  cert: Pick<Certificate, "spki">,
  known: { spki: Uint8Array; sha256: string },
): string {
  return Buffer.compare(cert.spki, known.spki) === 0 ? known.sha256 : ekPubSha256(cert);
}

/** The same for a SubjectPublicKeyInfo on its own (e.g. one made from a TPM2B_PUBLIC). Throws EkCertParseError. */
export function spkiSha256(spki: Uint8Array): string {
  const key = parsePublicKeyInfo(spki);
  // Most certificates already hold the canonical form: hash it as it is.
  return createHash("sha256")
    .update(key.canonical ? spki : canonicalSpki(key))
    .digest("hex");
}
