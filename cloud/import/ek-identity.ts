// The SubjectPublicKeyInfo of a manifest EK's `pub` (TPM2B_PUBLIC), for checking that `pub`,
// `ek_pub_sha256` and the EK certificate's key are one key (DESIGN §4: ek_pub_sha256 is the
// SHA-256 of the DER SPKI as OpenSSL writes it).
//
// Importing the key into node:crypto costs ~60 µs for RSA and ~190 µs for ECC (point
// validation), too slow for 10,000 devices/s. When the EK has a certificate, the SPKI is only
// written from the public area's numbers (spkiFromNumbers), and matching the hash of the
// certificate's key is what proves the key sound. An EK without a certificate has nothing else
// vouching for its key, so it is also imported (publicAreaToKeyObject), which refuses a modulus
// or point node:crypto cannot use.
import { hash } from "node:crypto";
import type { ManifestAlg } from "../../shared/formats/manifest.js";
import { TPM_ALG } from "../../shared/tpm/constants.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import { parsePublicArea } from "../../shared/tpm/verifier/public-area.js";
import { publicAreaToKeyObject, spkiFromNumbers } from "../../shared/tpm/verifier/public-key.js";

/** The manifest `alg` a public area is, or undefined for keys the manifest format has no name for. */
export function algOf(area: TpmtPublic): ManifestAlg | undefined {
  if (area.type === TPM_ALG.RSA) {
    const bits = area.parameters.keyBits;
    return bits === 2048 ? "rsa2048" : bits === 3072 ? "rsa3072" : bits === 4096 ? "rsa4096" : undefined;
  }
  if (area.type === TPM_ALG.ECC) {
    const c = { 3: "ecc-p256", 4: "ecc-p384", 5: "ecc-p521" } as Record<number, ManifestAlg>;
    return c[area.parameters.curveID];
  }
  return undefined;
}

export interface EkIdentity {
  area: TpmtPublic;
  /** The canonical DER SPKI of the key. */
  spki: Uint8Array;
  /** SHA-256 of the canonical SPKI, lowercase hex. */
  sha256: string;
}

/**
 * Decodes `pub` and hashes its key. With `validate`, the key is also imported into node:crypto,
 * which must accept it. Throws PublicAreaError / PublicKeyError.
 */
export function ekIdentity(pub: Uint8Array, what: string, validate: boolean): EkIdentity {
  const area = parsePublicArea(pub, what);
  const spki = spkiFromNumbers(area);
  if (validate) publicAreaToKeyObject(area);
  const sha256 = hash("sha256", spki, "hex"); // one-shot: no Hash object per device
  return { area, spki, sha256 };
}
