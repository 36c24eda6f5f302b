// The SubjectPublicKeyInfo of a manifest EK's `pub` (TPM2B_PUBLIC), for checking that `pub`,
// `ek_pub_sha256` and the EK certificate's key are one key (DESIGN §4: ek_pub_sha256 is the
// SHA-256 of the DER SPKI as OpenSSL writes it).
//
// publicAreaToSpki builds a node:crypto KeyObject and exports it: ~60 µs for RSA and ~190 µs
// for ECC (point validation), too slow for 10,000 devices/s. When the EK has a certificate,
// the SPKI is built here from the public area's numbers (canonicalSpki, the encoding OpenSSL
// and ekPubSha256 use), and matching the hash of the certificate's key is what proves the key
// sound. An EK without a certificate has nothing else vouching for its key, so it also goes
// through publicAreaToSpki, which refuses a modulus or point node:crypto cannot use.
import { hash } from "node:crypto";
import { canonicalSpki, EC_CURVES, type PublicKeyInfo } from "../../shared/ekcert/certificate.js";
import type { ManifestAlg } from "../../shared/formats/manifest.js";
import { TPM_ALG } from "../../shared/tpm/constants.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import { parsePublicArea } from "../../shared/tpm/verifier/public-area.js";
import {
  DEFAULT_RSA_EXPONENT,
  eccCurve,
  PublicKeyError,
  padCoordinate,
  publicAreaToSpki,
} from "../../shared/tpm/verifier/public-key.js";

function uintBytes(v: number): Uint8Array {
  const out: number[] = [];
  for (let x = v; x > 0; x = Math.floor(x / 256)) out.unshift(x % 256);
  return new Uint8Array(out);
}

function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

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

/** Canonical DER SPKI of an RSA or ECC public area, from its numbers. Throws PublicKeyError. */
export function fastSpki(area: TpmtPublic): Uint8Array {
  if (area.type === TPM_ALG.RSA) {
    const e = area.parameters.exponent === 0 ? DEFAULT_RSA_EXPONENT : area.parameters.exponent;
    const modulus = stripZeros(area.unique);
    if (modulus.length * 8 !== area.parameters.keyBits || (modulus[0] ?? 0) < 0x80)
      throw new PublicKeyError(
        `RSA modulus in unique is not ${area.parameters.keyBits} bits (keyBits says so)`,
      );
    const key: PublicKeyInfo = {
      keyType: "rsa",
      algorithm: "1.2.840.113549.1.1.1",
      canonical: true,
      keyBits: area.parameters.keyBits,
      modulus,
      exponent: uintBytes(e),
    };
    return canonicalSpki(key);
  }
  if (area.type === TPM_ALG.ECC) {
    const c = eccCurve(area.parameters.curveID);
    const curve = EC_CURVES.find((k) => k.name === c.jwk);
    if (!curve) throw new PublicKeyError(`ECC curve ${c.jwk} is not supported`);
    const point = new Uint8Array(1 + 2 * c.size);
    point[0] = 0x04;
    point.set(padCoordinate(area.unique.x, c.size, "ECC point x"), 1);
    point.set(padCoordinate(area.unique.y, c.size, "ECC point y"), 1 + c.size);
    const key: PublicKeyInfo = {
      keyType: "ec",
      algorithm: "1.2.840.10045.2.1",
      canonical: true,
      keyBits: curve.bits,
      curve,
      point,
    };
    return canonicalSpki(key);
  }
  throw new PublicKeyError(`the public area is of type 0x${area.type.toString(16)}, neither RSA nor ECC`);
}

export interface EkIdentity {
  area: TpmtPublic;
  /** The canonical DER SPKI of the key. */
  spki: Uint8Array;
  /** SHA-256 of the canonical SPKI, lowercase hex. */
  sha256: string;
}

/**
 * Decodes `pub` and hashes its key. With `validate`, the key also goes through node:crypto
 * (publicAreaToSpki), which must agree. Throws PublicAreaError / PublicKeyError.
 */
export function ekIdentity(pub: Uint8Array, what: string, validate: boolean): EkIdentity {
  const area = parsePublicArea(pub, what);
  const spki = fastSpki(area);
  const sha256 = hash("sha256", spki, "hex"); // one-shot: no Hash object per device
  if (validate) {
    const checked = hash("sha256", publicAreaToSpki(area), "hex");
    if (checked !== sha256)
      throw new PublicKeyError(`${what}: the key's SubjectPublicKeyInfo is not in canonical form`);
  }
  return { area, spki, sha256 };
}
