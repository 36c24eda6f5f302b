// TPMT_PUBLIC (Part 2 §12.2.4) ⇄ node:crypto public keys.
//
// RSA: `unique` is the modulus n (TPM2B_PUBLIC_KEY_RSA, §11.2.4.5), big-endian, keyBits/8
// bytes; `parameters.exponent` is e, where 0 means the default 2^16 + 1 (§12.2.3.5).
// ECC: `unique` is the point (x, y) (TPMS_ECC_POINT, §11.2.5.2) on `parameters.curveID`
// (TPM_ECC_CURVE, §6.4). node:crypto refuses a point that is not on the curve.
import { createPublicKey, type KeyObject } from "node:crypto";
import { canonicalSpki, EC_CURVES } from "../../ekcert/certificate.js";
import { OID } from "../../ekcert/oid.js";
import { TPM_ALG, TPM_ECC } from "../constants.js";
import type { EccPublic, RsaPublic, TpmtPublic } from "../structures/public.js";
import { algLabel, TpmVerifierError, UnsupportedAlgorithmError } from "./errors.js";

/** The public area does not hold a usable public key (bad size, point off the curve…). */
export class PublicKeyError extends TpmVerifierError {
  override readonly name = "PublicKeyError";
  readonly code = "PUBLIC_KEY_INVALID";
}

/** The NIST curves the verifier supports, by TPM_ECC_CURVE. */
export const ECC_CURVES: Readonly<Record<number, { jwk: string; size: number }>> = {
  [TPM_ECC.NIST_P256]: { jwk: "P-256", size: 32 },
  [TPM_ECC.NIST_P384]: { jwk: "P-384", size: 48 },
  [TPM_ECC.NIST_P521]: { jwk: "P-521", size: 66 },
};
const CURVE_IDS: Readonly<Record<string, number>> = { "P-256": 0x0003, "P-384": 0x0004, "P-521": 0x0005 };
const SUPPORTED_CURVES = "NIST P-256 (0x0003), P-384 (0x0004), P-521 (0x0005)";

/** RSA moduli the verifier accepts (policy on the minimum lives in attributes.ts). */
const RSA_KEY_BITS = new Set([1024, 2048, 3072, 4096]);

/** Part 2 §12.2.3.5: an exponent field of 0 stands for 65537. */
export const DEFAULT_RSA_EXPONENT = 65537;

/** The curve parameters of an ECC public area; throws UnsupportedAlgorithmError for others. */
export function eccCurve(curveID: number): { jwk: string; size: number } {
  const c = ECC_CURVES[curveID];
  if (!c) throw new UnsupportedAlgorithmError("ECC curve", curveID, SUPPORTED_CURVES);
  return c;
}

const b64u = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const fromB64u = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(String(s), "base64url"));

/** Big-endian minimal bytes of a positive integer below 2^32 (for the JWK `e`). */
function uintBytes(v: number): Uint8Array {
  const out: number[] = [];
  for (let x = v; x > 0; x = Math.floor(x / 256)) out.unshift(x % 256);
  return new Uint8Array(out);
}

/**
 * Left-pads a coordinate to the curve's size; a longer value (beyond leading zeros) is refused.
 * One of exactly that size is returned as it is (callers only read it).
 */
export function padCoordinate(v: Uint8Array, size: number, what: string): Uint8Array {
  if (v.length === size) return v;
  let start = 0;
  while (v.length - start > size && v[start] === 0) start++;
  if (v.length - start > size)
    throw new PublicKeyError(`${what} is ${v.length} bytes, more than the curve's ${size}`);
  const out = new Uint8Array(size);
  out.set(v.subarray(start), size - (v.length - start));
  return out;
}

function rsaKey(pub: RsaPublic): KeyObject {
  const { keyBits, exponent } = pub.parameters;
  if (!RSA_KEY_BITS.has(keyBits)) {
    throw new PublicKeyError(`RSA keyBits ${keyBits} is not supported (1024, 2048, 3072 or 4096)`);
  }
  if (pub.unique.length * 8 !== keyBits) {
    throw new PublicKeyError(
      `RSA modulus in unique is ${pub.unique.length} bytes but keyBits ${keyBits} needs ${keyBits / 8}`,
    );
  }
  if ((pub.unique[0] ?? 0) < 0x80) {
    throw new PublicKeyError(
      `RSA modulus in unique does not have its top bit set, so it is not ${keyBits} bits`,
    );
  }
  const e = exponent === 0 ? DEFAULT_RSA_EXPONENT : exponent;
  if (e < 3 || e % 2 === 0) throw new PublicKeyError(`RSA exponent ${e} is not an odd number ≥ 3`);
  try {
    return createPublicKey({
      key: { kty: "RSA", n: b64u(pub.unique), e: b64u(uintBytes(e)) },
      format: "jwk",
    });
  } catch (err) {
    throw new PublicKeyError(`RSA public key in unique is not usable: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function eccKey(pub: EccPublic): KeyObject {
  const curve = eccCurve(pub.parameters.curveID);
  const x = padCoordinate(pub.unique.x, curve.size, "ECC point x");
  const y = padCoordinate(pub.unique.y, curve.size, "ECC point y");
  try {
    return createPublicKey({ key: { kty: "EC", crv: curve.jwk, x: b64u(x), y: b64u(y) }, format: "jwk" });
  } catch (err) {
    throw new PublicKeyError(
      `ECC point in unique is not a valid ${curve.jwk} public key (not on the curve?)`,
      {
        cause: err,
      },
    );
  }
}

/**
 * KeyObjects already made, by public area: importing a key costs node:crypto ~0.1–0.2 ms, and a
 * registration needs the EK's twice (its SPKI hash, then MakeCredential) from the same decoded
 * public area. Public areas are never changed once decoded.
 */
const keyObjects = new WeakMap<TpmtPublic, KeyObject>();

/** The public key of an RSA or ECC public area as a node:crypto KeyObject. */
export function publicAreaToKeyObject(pub: TpmtPublic): KeyObject {
  const known = keyObjects.get(pub);
  if (known) return known;
  const key = importKey(pub);
  keyObjects.set(pub, key);
  return key;
}

function importKey(pub: TpmtPublic): KeyObject {
  if (pub.type === TPM_ALG.RSA) return rsaKey(pub);
  if (pub.type === TPM_ALG.ECC) return eccKey(pub);
  throw new UnsupportedAlgorithmError(
    "public area type",
    pub.type,
    `${algLabel(TPM_ALG.RSA)}, ${algLabel(TPM_ALG.ECC)}`,
  );
}

/**
 * DER SubjectPublicKeyInfo of the public area's key (what `openssl pkey -pubin -outform DER`
 * prints). Written from the key's numbers: node's `export({type: "spki"})` goes through
 * OpenSSL's encoder framework and costs ~0.25 ms, against ~10 µs for the JWK import that
 * checks the key (and that MakeCredential then reuses).
 */
export function publicAreaToSpki(pub: TpmtPublic): Uint8Array {
  publicAreaToKeyObject(pub);
  return spkiFromNumbers(pub);
}

/**
 * The same SubjectPublicKeyInfo, written from the numbers without importing the key: the
 * caller checks the key some other way (the bulk import matches it with its certificate's).
 * Refuses an RSA modulus that is not `keyBits` long, and any type other than RSA and ECC.
 * Throws PublicKeyError / UnsupportedAlgorithmError.
 */
export function spkiFromNumbers(pub: TpmtPublic): Uint8Array {
  if (pub.type === TPM_ALG.RSA) {
    let start = 0;
    while (start < pub.unique.length - 1 && pub.unique[start] === 0) start++;
    const modulus = pub.unique.subarray(start);
    if (modulus.length * 8 !== pub.parameters.keyBits || (modulus[0] ?? 0) < 0x80)
      throw new PublicKeyError(
        `RSA modulus in unique is not ${pub.parameters.keyBits} bits (keyBits says so)`,
      );
    const e = pub.parameters.exponent === 0 ? DEFAULT_RSA_EXPONENT : pub.parameters.exponent;
    return canonicalSpki({
      keyType: "rsa",
      algorithm: OID.rsaEncryption,
      canonical: true,
      keyBits: pub.parameters.keyBits,
      modulus,
      exponent: uintBytes(e),
    });
  }
  if (pub.type === TPM_ALG.ECC) {
    const size = eccCurve(pub.parameters.curveID);
    const curve = EC_CURVES.find((c) => c.name === size.jwk);
    if (!curve) throw new PublicKeyError(`ECC curve ${size.jwk} is not supported`);
    const point = new Uint8Array(1 + 2 * size.size);
    point[0] = 0x04; // uncompressed (SEC 1 §2.3.3)
    point.set(padCoordinate(pub.unique.x, size.size, "ECC point x"), 1);
    point.set(padCoordinate(pub.unique.y, size.size, "ECC point y"), 1 + size.size);
    return canonicalSpki({
      keyType: "ec",
      algorithm: OID.ecPublicKey,
      canonical: true,
      keyBits: curve.bits,
      curve,
      point,
    });
  }
  throw new PublicKeyError(`the public area is of type 0x${pub.type.toString(16)}, neither RSA nor ECC`);
}

/** The key-dependent fields of an RSA TPMT_PUBLIC. */
export interface RsaKeyFields {
  type: typeof TPM_ALG.RSA;
  keyBits: number;
  /** 0 when e = 65537, as TPMs report it. */
  exponent: number;
  unique: Uint8Array;
}

/** The key-dependent fields of an ECC TPMT_PUBLIC. */
export interface EccKeyFields {
  type: typeof TPM_ALG.ECC;
  curveID: number;
  unique: { x: Uint8Array; y: Uint8Array };
}

/**
 * The reverse direction, for building public areas around software keys (tests, tools):
 * the `unique`, `keyBits`/`exponent` or `curveID` that describe `key`.
 */
export function keyObjectToPublicFields(key: KeyObject): RsaKeyFields | EccKeyFields {
  if (key.type !== "public") throw new PublicKeyError(`expected a public key, got a ${key.type} key`);
  const jwk = key.export({ format: "jwk" });
  if (jwk.kty === "RSA") {
    const n = fromB64u(jwk.n);
    const eBytes = fromB64u(jwk.e);
    if (eBytes.length > 4) throw new PublicKeyError("RSA exponent does not fit the u32 exponent field");
    const e = eBytes.reduce((acc, b) => acc * 256 + b, 0);
    return {
      type: TPM_ALG.RSA,
      keyBits: n.length * 8,
      exponent: e === DEFAULT_RSA_EXPONENT ? 0 : e,
      unique: n,
    };
  }
  if (jwk.kty === "EC") {
    const curveID = CURVE_IDS[String(jwk.crv)];
    if (curveID === undefined)
      throw new PublicKeyError(`curve ${String(jwk.crv)} is not one of ${SUPPORTED_CURVES}`);
    return { type: TPM_ALG.ECC, curveID, unique: { x: fromB64u(jwk.x), y: fromB64u(jwk.y) } };
  }
  throw new PublicKeyError(`key type ${String(key.asymmetricKeyType)} cannot be a TPM RSA or ECC key`);
}
