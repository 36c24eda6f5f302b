// The device manifest (DESIGN §5): one per board, a COSE_Sign1 by the factory station over a
// CBOR payload {v, serial, hw_uuid, model, captured_at, station, tpm, eks, platform_cert}.
//
// Decoding is strict: every field is checked for its type and size, unknown fields are
// refused, and an unknown `v` is refused with a message that names it. Verification goes
// through cose-verify (node:crypto only); signing through cose-sign1 (libsodium).

import { type CborObject, type CborValue, decodeCbor, encodeCbor, requireVersion } from "./cbor.js";
import { type SodiumEd25519KeyPair, signSign1 } from "./cose-sign1.js";
import { type KeyLookup, parseSign1, verifySign1 } from "./cose-verify.js";
import { CborError } from "./errors.js";
import { fieldCheckers, isPayloadObject } from "./fields.js";

export const MANIFEST_VERSION = 1;
export const MANIFEST_VERSIONS: readonly number[] = [MANIFEST_VERSION];
const WHAT = "device manifest";

export const MANIFEST_ALGS = ["rsa2048", "rsa3072", "rsa4096", "ecc-p256", "ecc-p384", "ecc-p521"] as const;
export type ManifestAlg = (typeof MANIFEST_ALGS)[number];

export const MANIFEST_TEMPLATES = ["L-1", "L-2", "H-1", "H-2", "H-3", "H-4", "H-5", "H-6", "H-7"] as const;
export type ManifestTemplate = (typeof MANIFEST_TEMPLATES)[number];

/** Size limits of a manifest; anything larger is refused on decode (and on encode). */
export const MANIFEST_LIMITS = {
  /** The whole signed manifest file. */
  maxBytes: 1024 * 1024,
  /** A payload's encoded bytes. */
  maxPayloadBytes: 1024 * 1024 - 256,
  /** Text fields (serial, hw_uuid, model, station, tpm strings), in characters. */
  maxText: 256,
  /** EKs per TPM. */
  maxEks: 16,
  /** A TPM2B_PUBLIC. */
  maxPubBytes: 4096,
  /** One certificate (EK cert, chain cert). */
  maxCertBytes: 64 * 1024,
  /** The platform certificate. */
  maxPlatformCertBytes: 128 * 1024,
  /** Chain certificates per EK. */
  maxChain: 16,
} as const;

export interface ManifestTpm {
  manufacturer: string;
  vendor: string;
  fw: string;
  spec: string;
}

export interface ManifestEk {
  alg: ManifestAlg;
  template: ManifestTemplate;
  /** The EK's TPM2B_PUBLIC. */
  pub: Uint8Array;
  /**
   * SHA-256 of the EK's DER SubjectPublicKeyInfo, as lowercase hex in memory; a 32-byte byte
   * string in the CBOR payload.
   */
  ek_pub_sha256: string;
  /** DER, or null for a TPM with no EK certificate (captured with --allow-no-cert). */
  cert: Uint8Array | null;
  /** The NV index the certificate came from; null exactly when `cert` is null. */
  cert_nv: number | null;
  /** Chain certificates (DER), in NV index order. */
  chain: Uint8Array[];
}

export interface ManifestPayload {
  v: 1;
  serial: string;
  /** The board's hardware UUID, or null when the station was not given one. */
  hw_uuid: string | null;
  /** The board model, or null when the station was not given one. */
  model: string | null;
  /** Integer epoch seconds. */
  captured_at: number;
  station: string;
  tpm: ManifestTpm;
  eks: ManifestEk[];
  platform_cert: Uint8Array | null;
}

/** A payload that is CBOR but not a device manifest of this version's shape. */
export class ManifestInvalidError extends Error {
  override readonly name = "ManifestInvalidError";
  readonly code = "MANIFEST_INVALID";
}

// ---------------------------------------------------------------------------------------------
// Validation

const {
  fail,
  object,
  text: checkText,
  textOrNull: checkTextOrNull,
  bytes,
  bytesOrNull,
  oneOf,
  uint,
  list,
} = fieldCheckers(WHAT, (message) => new ManifestInvalidError(message));
const text = (v: unknown, path: string, max: number = MANIFEST_LIMITS.maxText, allowEmpty = false) =>
  checkText(v, path, max, allowEmpty);
const textOrNull = (v: unknown, path: string) => checkTextOrNull(v, path, MANIFEST_LIMITS.maxText);

const TPM_KEYS = ["manufacturer", "vendor", "fw", "spec"] as const;
const EK_KEYS = ["alg", "template", "pub", "ek_pub_sha256", "cert", "cert_nv", "chain"] as const;
const PAYLOAD_KEYS = [
  "v",
  "serial",
  "hw_uuid",
  "model",
  "captured_at",
  "station",
  "tpm",
  "eks",
  "platform_cert",
] as const;

function checkTpm(value: unknown): ManifestTpm {
  const v = object(value, TPM_KEYS, "tpm");
  return {
    manufacturer: text(v["manufacturer"], "tpm.manufacturer", MANIFEST_LIMITS.maxText, true),
    vendor: text(v["vendor"], "tpm.vendor", MANIFEST_LIMITS.maxText, true),
    fw: text(v["fw"], "tpm.fw", MANIFEST_LIMITS.maxText, true),
    spec: text(v["spec"], "tpm.spec", MANIFEST_LIMITS.maxText, true),
  };
}

function checkEk(value: unknown, i: number): ManifestEk {
  const path = `eks[${i}]`;
  const v = object(value, EK_KEYS, path);
  // On the wire a digest is a byte string (DESIGN §5); in memory, the hex the registrar keys on.
  const digest = bytes(v["ek_pub_sha256"], `${path}.ek_pub_sha256`, 32);
  const sha = Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString("hex"); // a view, not a copy
  if (sha.length !== 64) fail(`${path}.ek_pub_sha256`, "is not a 32-byte SHA-256 digest");
  const cert = bytesOrNull(v["cert"], `${path}.cert`, MANIFEST_LIMITS.maxCertBytes);
  const certNv = v["cert_nv"] === null ? null : uint(v["cert_nv"], `${path}.cert_nv`, 0xffffffff);
  if ((cert === null) !== (certNv === null))
    fail(path, "has a cert without cert_nv or a cert_nv without cert (both or neither)");
  const chain = list(v["chain"], `${path}.chain`, MANIFEST_LIMITS.maxChain).map((c, j) =>
    bytes(c, `${path}.chain[${j}]`, MANIFEST_LIMITS.maxCertBytes),
  );
  return {
    alg: oneOf(v["alg"], MANIFEST_ALGS, `${path}.alg`),
    template: oneOf(v["template"], MANIFEST_TEMPLATES, `${path}.template`),
    pub: bytes(v["pub"], `${path}.pub`, MANIFEST_LIMITS.maxPubBytes),
    ek_pub_sha256: sha,
    cert,
    cert_nv: certNv,
    chain,
  };
}

/** Checks a decoded payload value and returns it as a ManifestPayload (fresh object). */
export function checkManifestPayload(value: unknown): ManifestPayload {
  if (!isPayloadObject(value)) return fail("payload", "is not a map with text keys");
  requireVersion(value, MANIFEST_VERSIONS, WHAT);
  object(value, PAYLOAD_KEYS, "payload");
  const eks = list(value["eks"], "eks", MANIFEST_LIMITS.maxEks).map(checkEk);
  if (eks.length === 0) fail("eks", "is empty: a manifest records at least one EK");
  const seen = new Set<string>();
  for (const ek of eks) {
    if (seen.has(ek.template)) fail("eks", `lists template ${ek.template} twice`);
    seen.add(ek.template);
  }
  return {
    v: MANIFEST_VERSION,
    serial: text(value["serial"], "serial"),
    hw_uuid: textOrNull(value["hw_uuid"], "hw_uuid"),
    model: textOrNull(value["model"], "model"),
    captured_at: uint(value["captured_at"], "captured_at"),
    station: text(value["station"], "station"),
    tpm: checkTpm(value["tpm"]),
    eks,
    platform_cert: bytesOrNull(value["platform_cert"], "platform_cert", MANIFEST_LIMITS.maxPlatformCertBytes),
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding and decoding

/** The wire form of an in-memory hex digest; anything but 64 lowercase hex digits is refused. */
function digestBytes(hex: string, path: string): Uint8Array {
  if (typeof hex !== "string" || !/^[0-9a-f]{64}$/.test(hex)) fail(path, "is not 64 lowercase hex digits");
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function toCbor(p: ManifestPayload): CborObject {
  return {
    v: p.v,
    serial: p.serial,
    hw_uuid: p.hw_uuid,
    model: p.model,
    captured_at: p.captured_at,
    station: p.station,
    tpm: { manufacturer: p.tpm.manufacturer, vendor: p.tpm.vendor, fw: p.tpm.fw, spec: p.tpm.spec },
    eks: p.eks.map(
      (ek, i): CborObject => ({
        alg: ek.alg,
        template: ek.template,
        pub: ek.pub,
        ek_pub_sha256: digestBytes(ek.ek_pub_sha256, `eks[${i}].ek_pub_sha256`),
        cert: ek.cert,
        cert_nv: ek.cert_nv,
        chain: [...ek.chain],
      }),
    ),
    platform_cert: p.platform_cert,
  };
}

/** Validates and encodes a payload (deterministic CBOR). Throws ManifestInvalidError. */
export function encodeManifestPayload(payload: ManifestPayload): Uint8Array {
  // Check exactly what will be written, the same way a reader will.
  const wire = toCbor(payload);
  checkManifestPayload(wire);
  const out = encodeCbor(wire);
  if (out.length > MANIFEST_LIMITS.maxPayloadBytes)
    throw new ManifestInvalidError(
      `${WHAT}: payload is larger than ${MANIFEST_LIMITS.maxPayloadBytes} bytes`,
    );
  return out;
}

/** Decoding options: `byteStringViews` as in DecodeOptions (for bytes that never change). */
export interface ManifestDecodeOptions {
  byteStringViews?: boolean;
}

/**
 * Decodes a payload strictly. Throws a CborError subclass (not CBOR of the profile, over the
 * limits), FormatVersionError (unknown `v`) or ManifestInvalidError (wrong shape).
 */
export function decodeManifestPayload(
  bytes: Uint8Array,
  options: ManifestDecodeOptions = {},
): ManifestPayload {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, {
      maxBytes: MANIFEST_LIMITS.maxPayloadBytes,
      maxDepth: 8,
      byteStringViews: options.byteStringViews ?? false,
    });
  } catch (e) {
    if (e instanceof CborError) e.message = `${WHAT} payload: ${e.message}`;
    throw e;
  }
  return checkManifestPayload(value);
}

/** Signs a payload into a manifest (COSE_Sign1 by the station's Ed25519 key). */
export async function signManifest(
  payload: ManifestPayload,
  stationKeyPair: SodiumEd25519KeyPair,
): Promise<Uint8Array> {
  return signSign1(encodeManifestPayload(payload), stationKeyPair);
}

export interface VerifiedManifest {
  payload: ManifestPayload;
  /** kid of the key that signed it. */
  kid: Uint8Array;
}

/**
 * Verifies a manifest's signature (node:crypto, via cose-verify) and decodes its payload.
 * Throws the CoseError subclasses, FormatVersionError or ManifestInvalidError.
 */
export function verifyManifest(bytes: Uint8Array, keyLookup: KeyLookup): VerifiedManifest {
  const { payload, kid } = verifySign1(bytes, keyLookup, MANIFEST_LIMITS.maxBytes);
  return { payload: decodeManifestPayload(payload), kid };
}

/**
 * Decodes a manifest WITHOUT checking its signature (for listing, or spotting a TPM already
 * captured, or a bundle item whose digest the signed header vouches for); anything else that
 * decides trust must use verifyManifest. With `byteStringViews`, the payload's byte strings are
 * views of `bytes` (no copies), which must then never change.
 */
export function readManifestUnverified(
  bytes: Uint8Array,
  options: ManifestDecodeOptions = {},
): VerifiedManifest {
  const { payload, kid } = parseSign1(bytes, MANIFEST_LIMITS.maxBytes, options);
  return { payload: decodeManifestPayload(payload, options), kid };
}
