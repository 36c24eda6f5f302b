// COSE_Sign1 parsing and verification (RFC 9052 §4.2, DESIGN §5 "Signatures").
//
// node:crypto only: the edge agent imports this module and must not pull in libsodium.
// A COSE_Sign1 of our profile is tag 18 over [protected, unprotected, payload, signature]:
// - protected: a byte string holding the map {1: alg, 4: kid}; alg is EdDSA (-8), or the
//   fully-specified Ed25519 (-19, RFC 9864) when decoding; no other header is understood;
// - unprotected: a map, which may not repeat alg or kid;
// - payload: a byte string (detached payloads are not used);
// - signature: 64 bytes of Ed25519 over Sig_structure ["Signature1", protected, h'', payload].

import { createHash, createPublicKey, type KeyObject, verify } from "node:crypto";
import { CborTag, type CborValue, decodeCbor, encodeCbor } from "./cbor.js";
import {
  CborError,
  CoseBadSignatureError,
  CoseMalformedError,
  CoseUnknownKidError,
  CoseUnsupportedAlgError,
} from "./errors.js";

export const COSE_SIGN1_TAG = 18;
export const ALG_EDDSA = -8;
export const ALG_ED25519 = -19;
export const HEADER_ALG = 1;
export const HEADER_CRIT = 2;
export const HEADER_KID = 4;
/** Bytes of a kid: the first 16 bytes of SHA-256 of the raw public key. */
export const KID_LENGTH = 16;

/** kid of an Ed25519 or X25519 public key: the first 16 bytes of SHA-256 of its raw 32 bytes. */
export function kidOf(rawPublicKey: Uint8Array): Uint8Array {
  if (rawPublicKey.length !== 32)
    throw new TypeError(`a raw public key is 32 bytes, this one is ${rawPublicKey.length}`);
  return new Uint8Array(createHash("sha256").update(rawPublicKey).digest().subarray(0, KID_LENGTH));
}

/** The Sig_structure of RFC 9052 §4.4 for a COSE_Sign1 with no external AAD. */
export function sigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(["Signature1", protectedBytes, new Uint8Array(0), payload]);
}

/** A COSE_Sign1 taken apart, not yet verified. */
export interface ParsedSign1 {
  alg: number;
  kid: Uint8Array;
  protectedBytes: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
}

function headerGet(map: CborValue, label: number): CborValue | undefined {
  return map instanceof Map ? map.get(label) : undefined;
}

function isMap(v: CborValue): boolean {
  return (
    v instanceof Map ||
    (typeof v === "object" &&
      v !== null &&
      !(v instanceof Uint8Array) &&
      !Array.isArray(v) &&
      !(v instanceof CborTag))
  );
}

/**
 * Parses a COSE_Sign1 of our profile without checking the signature. With `byteStringViews`
 * (see DecodeOptions), the parts are views of `bytes`, which must then never change.
 */
export function parseSign1(
  bytes: Uint8Array,
  maxBytes?: number,
  options: { byteStringViews?: boolean } = {},
): ParsedSign1 {
  let item: CborValue;
  try {
    item = decodeCbor(bytes, {
      byteStringViews: options.byteStringViews ?? false,
      allowTags: [COSE_SIGN1_TAG],
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
  } catch (e) {
    if (e instanceof CborError) throw new CoseMalformedError(`not a COSE_Sign1: ${e.message}`, { cause: e });
    throw e;
  }
  if (!(item instanceof CborTag) || item.tag !== COSE_SIGN1_TAG)
    throw new CoseMalformedError("not a COSE_Sign1: the item is not tagged 18");
  const parts = item.value;
  if (!Array.isArray(parts) || parts.length !== 4)
    throw new CoseMalformedError(
      "COSE_Sign1 is not an array of 4 items [protected, unprotected, payload, signature]",
    );
  const [protectedBytes, unprotected, payload, signature] = parts as [
    CborValue,
    CborValue,
    CborValue,
    CborValue,
  ];
  if (!(protectedBytes instanceof Uint8Array))
    throw new CoseMalformedError("COSE_Sign1 protected header is not a byte string");
  if (!isMap(unprotected)) throw new CoseMalformedError("COSE_Sign1 unprotected header is not a map");
  if (!(payload instanceof Uint8Array))
    throw new CoseMalformedError("COSE_Sign1 payload is not a byte string (detached payloads are not used)");
  if (!(signature instanceof Uint8Array) || signature.length !== 64)
    throw new CoseMalformedError("COSE_Sign1 signature is not a 64-byte Ed25519 signature");

  if (protectedBytes.length === 0)
    throw new CoseMalformedError("COSE_Sign1 protected header is empty (no alg)");
  let headers: CborValue;
  try {
    headers = decodeCbor(protectedBytes, { maxBytes: 4096, maxDepth: 4 });
  } catch (e) {
    if (e instanceof CborError)
      throw new CoseMalformedError(`COSE_Sign1 protected header: ${e.message}`, { cause: e });
    throw e;
  }
  if (!(headers instanceof Map))
    throw new CoseMalformedError("COSE_Sign1 protected header is not a map with integer labels");
  if (headers.has(HEADER_CRIT))
    throw new CoseMalformedError(
      "COSE_Sign1 has critical headers (label 2), which this reader does not support",
    );
  const alg = headerGet(headers, HEADER_ALG);
  if (alg === undefined) throw new CoseMalformedError("COSE_Sign1 protected header has no alg (label 1)");
  if (alg !== ALG_EDDSA && alg !== ALG_ED25519) throw new CoseUnsupportedAlgError(alg);
  const kid = headerGet(headers, HEADER_KID);
  if (!(kid instanceof Uint8Array))
    throw new CoseMalformedError("COSE_Sign1 protected header has no kid (label 4) byte string");
  const unprot = unprotected instanceof Map ? unprotected : undefined;
  if (unprot?.has(HEADER_ALG) || unprot?.has(HEADER_KID))
    throw new CoseMalformedError("COSE_Sign1 repeats alg or kid in the unprotected header");
  return { alg, kid, protectedBytes, payload, signature };
}

/** A public key, as a node KeyObject or as the raw 32 Ed25519 bytes. */
export type Ed25519PublicKey = KeyObject | Uint8Array;

/** Looks up the signer's public key by kid; undefined when the kid is unknown. */
export type KeyLookup = (kid: Uint8Array) => Ed25519PublicKey | undefined;

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function toKeyObject(key: Ed25519PublicKey): KeyObject {
  if (!(key instanceof Uint8Array)) {
    if (key.type !== "public" || key.asymmetricKeyType !== "ed25519")
      throw new TypeError(
        `the key lookup returned a ${key.asymmetricKeyType} ${key.type} key, not an Ed25519 public key`,
      );
    return key;
  }
  if (key.length !== 32)
    throw new TypeError(`a raw Ed25519 public key is 32 bytes, this one is ${key.length}`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, key]), format: "der", type: "spki" });
}

/** The outcome of a successful verification. */
export interface VerifiedSign1 {
  payload: Uint8Array;
  kid: Uint8Array;
  alg: number;
}

/**
 * Verifies a COSE_Sign1 and returns its payload bytes and kid. Throws CoseMalformedError,
 * CoseUnsupportedAlgError, CoseUnknownKidError or CoseBadSignatureError.
 */
export function verifySign1(bytes: Uint8Array, keyLookup: KeyLookup, maxBytes?: number): VerifiedSign1 {
  const p = parseSign1(bytes, maxBytes);
  const key = keyLookup(p.kid);
  if (key === undefined) throw new CoseUnknownKidError(p.kid);
  const ok = verify(null, sigStructure(p.protectedBytes, p.payload), toKeyObject(key), p.signature);
  if (!ok) throw new CoseBadSignatureError(p.kid);
  return { payload: p.payload, kid: p.kid, alg: p.alg };
}
