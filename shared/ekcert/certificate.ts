// X.509 certificates (RFC 5280 §4.1) read with our own DER walker, for inspection and for the
// bulk-import hot path alike. Everything signed or hashed (the certificate, the TBS, the
// SubjectPublicKeyInfo, the Names) is kept as the original bytes, so a certificate that is not
// quite DER (Nuvoton's unsorted SETs, Infineon's long BIT STRINGs) still verifies.
//
// What is tolerated, because real EK certificates do it: an empty subject; a critical SAN holding
// only a directoryName of TPM attributes; Subject Directory Attributes; unsorted SETs in names;
// non-minimal BIT STRINGs in key usage; RSA keys under the id-RSAES-OAEP OID; anything at all
// inside extensions we do not decode. What is refused: anything that is not DER at the level
// of the elements (bad lengths, trailing bytes after the certificate), a TBS signature
// algorithm that differs from the outer one, repeated extensions.
//
// The KeyObject is made on first use of `publicKey`: OpenSSL 3's SPKI decoder costs ~200 µs, more
// than an RSA verify, and the bulk path never needs the leaf's key (ekPubSha256 hashes the SPKI
// without it). RSA keys are imported as PKCS#1 (~8 µs), EC keys as JWK.
import { createPublicKey, type KeyObject } from "node:crypto";
import { equalBytes } from "../bytes/equal-bytes.js";
import {
  bitStringFlags,
  children,
  contentStart,
  describeTag,
  elementOf,
  expectUniversal,
  isContext,
  isUniversal,
  onlyChild,
  readBitString,
  readBitStringOctets,
  readBoolean,
  readIntegerBytes,
  readIntegerHex,
  readOctetString,
  readOid,
  readSmallInteger,
  readTime,
  readTlv,
  TAG,
  type Tlv,
} from "./der.js";
import { DerError, EkCertParseError, toParseError, UnsupportedAlgorithmError } from "./errors.js";
import { readName } from "./name.js";
import { describeOid, OID } from "./oid.js";
import { ReadBefore } from "./read-before.js";
import { readTpmIdentity } from "./tpm-identity.js";
import type { Certificate, Extension, KeyUsage, Name, TpmIdentity } from "./types.js";

/** Larger inputs are refused before any parsing (real certificates are 0.5–2 KB). */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** RFC 5280 §4.2.1.3, bit 0 first. */
export const KEY_USAGE_BITS: readonly KeyUsage[] = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

// ---------------------------------------------------------------------------------------------
// SubjectPublicKeyInfo

export interface EcCurve {
  readonly name: "P-256" | "P-384" | "P-521";
  readonly oid: string;
  readonly bits: number;
  /** Bytes of one coordinate. */
  readonly size: number;
}

export const EC_CURVES: readonly EcCurve[] = [
  { name: "P-256", oid: OID.p256, bits: 256, size: 32 },
  { name: "P-384", oid: OID.p384, bits: 384, size: 48 },
  { name: "P-521", oid: OID.p521, bits: 521, size: 66 },
];

/** The public key a SubjectPublicKeyInfo holds, read but not yet handed to node:crypto. */
export type PublicKeyInfo =
  | {
      readonly keyType: "rsa";
      /** The algorithm OID as written: rsaEncryption, id-RSAES-OAEP or id-RSASSA-PSS. */
      readonly algorithm: string;
      /** True when the SPKI as written is already what canonicalSpki would make. */
      readonly canonical: boolean;
      readonly keyBits: number;
      /** Modulus and exponent, unsigned big-endian without leading zeros. */
      readonly modulus: Uint8Array;
      readonly exponent: Uint8Array;
    }
  | {
      readonly keyType: "ec";
      readonly algorithm: string;
      readonly canonical: boolean;
      readonly keyBits: number;
      readonly curve: EcCurve;
      /** The SEC 1 point as written: 04‖X‖Y, or 02/03‖X. */
      readonly point: Uint8Array;
    };

const RSA_KEY_ALGORITHMS: ReadonlySet<string> = new Set([OID.rsaEncryption, OID.rsaesOaep, OID.rsassaPss]);

function unsignedMagnitude(bytes: Uint8Array, t: Tlv, what: string): Uint8Array {
  const c = readIntegerBytes(bytes, t);
  if ((c[0] as number) & 0x80) throw new DerError(`negative RSA ${what}`, t.start);
  let i = 0;
  while (i < c.length - 1 && c[i] === 0) i++;
  if (c[i] === 0) throw new DerError(`RSA ${what} is zero`, t.start);
  return c.subarray(i);
}

/** The header is as short as DER makes it (low tag number, minimal length octets). */
function minimalHeader(t: Tlv): boolean {
  const n = t.length;
  return t.headerLength === (n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : n < 0x1000000 ? 5 : 6);
}

/** A non-negative INTEGER without needless leading zero octets. */
function minimalUnsigned(bytes: Uint8Array, t: Tlv): boolean {
  const c = contentStart(t);
  return minimalHeader(t) && (bytes[c] !== 0 || (t.length > 1 && ((bytes[c + 1] as number) & 0x80) !== 0));
}

function bitLength(magnitude: Uint8Array): number {
  return (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0] as number));
}

/** Reads a SubjectPublicKeyInfo element. Throws DerError or UnsupportedAlgorithmError. */
export function readPublicKeyInfo(bytes: Uint8Array, spki: Tlv): PublicKeyInfo {
  expectUniversal(spki, TAG.SEQUENCE, "SubjectPublicKeyInfo");
  const [algTlv, keyTlv, extra] = children(bytes, spki);
  if (!algTlv || !keyTlv) throw new DerError("SubjectPublicKeyInfo needs an algorithm and a key", spki.start);
  if (extra) throw new DerError("unexpected element after the subjectPublicKey", extra.start);
  const alg = readAlgorithmIdentifier(bytes, algTlv);
  const key = readBitStringOctets(bytes, keyTlv);
  const keyStart = contentStart(keyTlv) + 1;

  if (RSA_KEY_ALGORITHMS.has(alg.oid)) {
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1).
    // The algorithm's parameters (NULL, or OAEP/PSS parameters) do not change the key.
    const seq = expectUniversal(readTlv(bytes, keyStart, keyTlv.end), TAG.SEQUENCE, "RSAPublicKey");
    if (seq.end !== keyTlv.end) throw new DerError("unexpected data after the RSAPublicKey", seq.end);
    const [n, e, more] = children(bytes, seq);
    if (!n || !e) throw new DerError("RSAPublicKey needs a modulus and an exponent", seq.start);
    if (more) throw new DerError("unexpected element after the RSA exponent", more.start);
    const modulus = unsignedMagnitude(bytes, n, "modulus");
    const exponent = unsignedMagnitude(bytes, e, "exponent");
    const params = alg.paramsTlv;
    const canonical =
      alg.oid === OID.rsaEncryption &&
      params !== undefined &&
      isUniversal(params, TAG.NULL) &&
      params.length === 0 &&
      minimalHeader(params) &&
      [spki, algTlv, keyTlv, seq].every(minimalHeader) &&
      minimalUnsigned(bytes, n) &&
      minimalUnsigned(bytes, e);
    return { keyType: "rsa", algorithm: alg.oid, canonical, keyBits: bitLength(modulus), modulus, exponent };
  }

  if (alg.oid === OID.ecPublicKey) {
    // ECParameters ::= CHOICE { namedCurve OID, … } (RFC 5480 §2.1.1): named curves only.
    const params = alg.paramsTlv;
    if (!params || !isUniversal(params, TAG.OBJECT_IDENTIFIER)) {
      throw new UnsupportedAlgorithmError(
        "EC curve",
        OID.ecPublicKey,
        `EC key parameters are ${params ? describeTag(params) : "absent"}; only named curves (P-256, P-384, P-521) are supported`,
      );
    }
    const curveOid = readOid(bytes, params);
    const curve = EC_CURVES.find((c) => c.oid === curveOid);
    if (!curve) {
      throw new UnsupportedAlgorithmError(
        "EC curve",
        curveOid,
        `EC curve ${describeOid(curveOid)} is not supported (supported: P-256, P-384, P-521)`,
      );
    }
    const form = key[0];
    const ok =
      (form === 0x04 && key.length === 1 + 2 * curve.size) ||
      ((form === 0x02 || form === 0x03) && key.length === 1 + curve.size);
    if (!ok) {
      throw new DerError(
        `not a ${curve.name} point: ${key.length} bytes starting 0x${(form ?? 0).toString(16).padStart(2, "0")}`,
        keyTlv.start,
      );
    }
    const canonical = [spki, algTlv, keyTlv, params].every(minimalHeader);
    return { keyType: "ec", algorithm: alg.oid, canonical, keyBits: curve.bits, curve, point: key };
  }

  throw new UnsupportedAlgorithmError(
    "public key algorithm",
    alg.oid,
    `public key algorithm ${describeOid(alg.oid)} is not supported (supported: RSA, EC P-256/P-384/P-521)`,
  );
}

// Minimal DER encoding, only for the canonical forms below. An element is described as a tree
// of parts, then written once into one buffer: every intermediate Uint8Array past 64 bytes
// would be an ArrayBuffer of its own (1–2 µs each; an RSA-2048 SPKI has four).
type DerPart = Uint8Array | DerElement;
interface DerElement {
  /** The whole identifier octet (0x30 for a SEQUENCE, not its tag number 16). */
  identifier: number;
  parts: readonly DerPart[];
  /** The length of the contents (the parts). */
  length: number;
}

/** Octets of the long-form length after the first length octet (X.690 §8.1.3.5). */
const lengthOctets = (len: number): number => (len < 0x80 ? 0 : len < 0x100 ? 1 : len < 0x10000 ? 2 : 3);

const sizeOf = (part: DerPart): number =>
  part instanceof Uint8Array ? part.length : 2 + lengthOctets(part.length) + part.length;

function tlv(identifier: number, ...parts: DerPart[]): DerElement {
  let length = 0;
  for (const part of parts) length += sizeOf(part);
  return { identifier, parts, length };
}

function writeDer(part: DerPart, out: Uint8Array, at: number): number {
  if (part instanceof Uint8Array) {
    out.set(part, at);
    return at + part.length;
  }
  const n = lengthOctets(part.length);
  out[at] = part.identifier;
  if (n === 0) out[at + 1] = part.length;
  else {
    out[at + 1] = 0x80 | n;
    for (let i = 0; i < n; i++) out[at + 2 + i] = (part.length >> (8 * (n - 1 - i))) & 0xff;
  }
  let p = at + 2 + n;
  for (const inner of part.parts) p = writeDer(inner, out, p);
  return p;
}

function encodeDer(element: DerElement): Uint8Array {
  const out = new Uint8Array(sizeOf(element));
  writeDer(element, out, 0);
  return out;
}

function unsignedInteger(magnitude: Uint8Array): DerElement {
  return (magnitude[0] as number) & 0x80
    ? tlv(TAG.INTEGER, Uint8Array.of(0), magnitude)
    : tlv(TAG.INTEGER, magnitude);
}

const ALG_RSA_ENCRYPTION = Uint8Array.from([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);
const OID_EC_PUBLIC_KEY = Uint8Array.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
const CURVE_OID_DER: Readonly<Record<string, Uint8Array>> = {
  [OID.p256]: Uint8Array.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
  [OID.p384]: Uint8Array.from([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22]),
  [OID.p521]: Uint8Array.from([0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23]),
};

const rsaPublicKey = (key: Extract<PublicKeyInfo, { keyType: "rsa" }>): DerElement =>
  tlv(0x30, unsignedInteger(key.modulus), unsignedInteger(key.exponent));

/** RSAPublicKey (PKCS#1) in DER, minimal integers. */
export function rsaPublicKeyDer(key: Extract<PublicKeyInfo, { keyType: "rsa" }>): Uint8Array {
  return encodeDer(rsaPublicKey(key));
}

/**
 * The key's SubjectPublicKeyInfo as OpenSSL writes it (`openssl pkey -pubin -outform DER`, or
 * node's `export({type: "spki"})`): RSA under rsaEncryption with NULL parameters whatever OID the
 * certificate used, EC under id-ecPublicKey with the named curve, the point as written.
 */
export function canonicalSpki(key: PublicKeyInfo): Uint8Array {
  const bits = (body: DerPart) => tlv(TAG.BIT_STRING, Uint8Array.of(0), body);
  if (key.keyType === "rsa") return encodeDer(tlv(0x30, ALG_RSA_ENCRYPTION, bits(rsaPublicKey(key))));
  const curveOid = CURVE_OID_DER[key.curve.oid] as Uint8Array;
  return encodeDer(tlv(0x30, tlv(0x30, OID_EC_PUBLIC_KEY, curveOid), bits(key.point)));
}

/** The node:crypto KeyObject for a key read from a certificate. Throws EkCertParseError. */
export function publicKeyObject(key: PublicKeyInfo): KeyObject {
  try {
    if (key.keyType === "rsa")
      return createPublicKey({ key: Buffer.from(rsaPublicKeyDer(key)), format: "der", type: "pkcs1" });
    if (key.point[0] === 0x04) {
      const size = key.curve.size;
      const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");
      return createPublicKey({
        key: {
          kty: "EC",
          crv: key.curve.name,
          x: b64(key.point.subarray(1, 1 + size)),
          y: b64(key.point.subarray(1 + size)),
        },
        format: "jwk",
      });
    }
    return createPublicKey({ key: Buffer.from(canonicalSpki(key)), format: "der", type: "spki" });
  } catch (e) {
    const what = key.keyType === "rsa" ? `RSA-${key.keyBits} key` : `${key.curve.name} point`;
    throw new EkCertParseError(`the subject public key is not a usable ${what}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Parses a DER SubjectPublicKeyInfo on its own. Throws EkCertParseError. */
export function parsePublicKeyInfo(spki: Uint8Array): PublicKeyInfo {
  try {
    const t = readTlv(spki, 0);
    if (t.end !== spki.length) throw new DerError("unexpected data after the SubjectPublicKeyInfo", t.end);
    return readPublicKeyInfo(spki, t);
  } catch (e) {
    throw toParseError("malformed SubjectPublicKeyInfo", e);
  }
}

// ---------------------------------------------------------------------------------------------
// Certificate

interface AlgorithmIdentifier {
  readonly oid: string;
  readonly paramsTlv?: Tlv;
}

function readAlgorithmIdentifier(bytes: Uint8Array, t: Tlv): AlgorithmIdentifier {
  expectUniversal(t, TAG.SEQUENCE, "AlgorithmIdentifier");
  const oidTlv = readTlv(bytes, contentStart(t), t.end);
  const oid = readOid(bytes, oidTlv);
  if (oidTlv.end === t.end) return { oid };
  const paramsTlv = readTlv(bytes, oidTlv.end, t.end);
  if (paramsTlv.end !== t.end)
    throw new DerError("unexpected data after the algorithm parameters", paramsTlv.end);
  return { oid, paramsTlv };
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** The serial as openssl prints it: colon-separated lowercase hex of its magnitude ("-" if negative). */
function serialText(bytes: Uint8Array, t: Tlv): string {
  const c = readIntegerBytes(bytes, t);
  if ((c[0] as number) & 0x80) {
    const hex = readIntegerHex(bytes, t); // negative: rare, the slow way
    return `-${(hex.slice(1).match(/../g) ?? []).join(":")}`;
  }
  let i = 0;
  while (i < c.length - 1 && c[i] === 0) i++;
  let out = HEX[c[i] as number] as string;
  for (i++; i < c.length; i++) out += `:${HEX[c[i] as number]}`;
  return out;
}

interface Decoded {
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage?: ReadonlySet<KeyUsage>;
  extKeyUsage?: readonly string[];
  subjectKeyId?: Uint8Array;
  authorityKeyId?: Uint8Array;
  tpm?: TpmIdentity;
}

/** The whole of an extension value must be one element. */
function single(value: Uint8Array): Tlv {
  const t = readTlv(value, 0);
  if (t.end !== value.length)
    throw new DerError(`${value.length - t.end} unexpected byte(s) after the value`, t.end);
  return t;
}

function decodeExtension(ext: Extension, out: Decoded): void {
  const v = ext.value;
  switch (ext.oid) {
    case OID.basicConstraints: {
      // SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
      const seq = expectUniversal(single(v), TAG.SEQUENCE, "BasicConstraints");
      const [first, second, extra] = children(v, seq);
      let ca = false;
      let pathLen: number | undefined;
      let rest = first;
      if (rest && isUniversal(rest, TAG.BOOLEAN)) {
        ca = readBoolean(v, rest);
        rest = second;
      } else if (second) {
        throw new DerError(`unexpected ${describeTag(second)} in BasicConstraints`, second.start);
      }
      if (rest) pathLen = readSmallInteger(v, rest);
      if (extra) throw new DerError(`unexpected ${describeTag(extra)} in BasicConstraints`, extra.start);
      out.basicConstraints = pathLen === undefined ? { ca } : { ca, pathLen };
      return;
    }
    case OID.keyUsage: {
      // A BIT STRING of named bits; Infineon encodes it with a needless trailing octet.
      const flags = bitStringFlags(readBitString(v, single(v)));
      out.keyUsage = new Set(
        flags.map((bit) => KEY_USAGE_BITS[bit]).filter((u): u is KeyUsage => u !== undefined),
      );
      return;
    }
    case OID.extKeyUsage: {
      const seq = expectUniversal(single(v), TAG.SEQUENCE, "ExtKeyUsageSyntax");
      out.extKeyUsage = children(v, seq).map((t) => readOid(v, t));
      return;
    }
    case OID.subjectKeyIdentifier:
      out.subjectKeyId = readOctetString(v, single(v));
      return;
    case OID.authorityKeyIdentifier: {
      // SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, [1] issuer, [2] serial }
      const seq = expectUniversal(single(v), TAG.SEQUENCE, "AuthorityKeyIdentifier");
      for (const t of children(v, seq)) {
        if (isContext(t, 0)) out.authorityKeyId = readOctetString(v, t, true);
      }
      return;
    }
    case OID.subjectAltName: {
      single(v);
      const id = readTpmIdentity(v);
      if (id) out.tpm = id;
      return;
    }
    default:
      return;
  }
}

/** Where parsing is, for the message of a failure (made only then: this is the hot path). */
interface Position {
  /** "tbsCertificate.validity", …; for extensions "tbsCertificate.extensions". */
  where: string;
  /** Index of the extension being read, and its OID once known. */
  ext?: number;
  oid?: string;
}

function describePosition(at: Position): string {
  if (at.ext === undefined) return at.where;
  return at.oid === undefined ? `${at.where}[${at.ext}]` : `extension ${describeOid(at.oid)}`;
}

/**
 * Extensions read before (read-before.ts), by their whole Extension element: the EK
 * certificates of one CA share their key usage, basic constraints, policies and authority key
 * id, and those of one TPM model their subjectAltName. An entry's Extension (its value a copy)
 * and what it decoded to are shared by every certificate that has it, so they are frozen (a
 * keyUsage Set cannot be frozen: it is never changed once made). A subjectKeyIdentifier, one per
 * certificate, is not kept.
 */
const SEEN_EXTENSIONS = new ReadBefore<{ ext: Extension; decoded: Decoded }>(1024);

/** Reads one Extension element `t` (not yet checked against the others). */
function readExtension(bytes: Uint8Array, t: Tlv, at: Position): { ext: Extension; decoded: Decoded } {
  const seen = SEEN_EXTENSIONS.get(bytes, t.start, t.end);
  if (seen !== undefined) return seen;
  expectUniversal(t, TAG.SEQUENCE, "Extension");
  const [idTlv, second, third, extra] = children(bytes, t);
  if (!idTlv || !second) throw new DerError("Extension needs an extnID and an extnValue", t.start);
  const oid = readOid(bytes, idTlv);
  let critical = false;
  let valueTlv = second;
  if (isUniversal(second, TAG.BOOLEAN)) {
    critical = readBoolean(bytes, second);
    if (!third) throw new DerError(`extension ${oid} has no extnValue`, t.start);
    valueTlv = third;
    if (extra) throw new DerError(`unexpected element after extension ${oid}`, extra.start);
  } else if (third) {
    throw new DerError(`unexpected element after extension ${oid}`, third.start);
  }
  const keep = oid !== OID.subjectKeyIdentifier;
  // A kept extension's value is a copy, so that what it decodes to (views of it) is too.
  const content = readOctetString(bytes, valueTlv);
  const ext: Extension = { oid, critical, value: keep ? new Uint8Array(content) : content };
  const decoded: Decoded = {};
  at.oid = oid;
  try {
    decodeExtension(ext, decoded);
  } catch (e) {
    // Offsets inside the extension value, made offsets in the certificate.
    if (e instanceof DerError) throw new DerError(e.detail, e.offset + contentStart(valueTlv));
    throw e;
  }
  if (decoded.basicConstraints) Object.freeze(decoded.basicConstraints);
  if (decoded.extKeyUsage) Object.freeze(decoded.extKeyUsage);
  const read = { ext: Object.freeze(ext), decoded: Object.freeze(decoded) };
  if (keep) SEEN_EXTENSIONS.set(bytes, t.start, t.end, read);
  return read;
}

function readExtensions(
  bytes: Uint8Array,
  wrapper: Tlv,
  at: Position,
): { extensions: Extension[]; decoded: Decoded } {
  const seq = expectUniversal(onlyChild(bytes, wrapper), TAG.SEQUENCE, "Extensions");
  const extensions: Extension[] = [];
  const decoded: Decoded = {};
  const seen: string[] = []; // OIDs (a handful: an array beats a Set)
  const list = children(bytes, seq);
  for (let i = 0; i < list.length; i++) {
    const t = list[i] as Tlv;
    at.where = "tbsCertificate.extensions";
    at.ext = i;
    at.oid = undefined;
    const read = readExtension(bytes, t, at);
    const oid = read.ext.oid;
    if (seen.includes(oid)) {
      throw new DerError(`extension ${describeOid(oid)} appears twice`, t.start);
    }
    seen.push(oid);
    Object.assign(decoded, read.decoded);
    extensions.push(read.ext);
  }
  at.ext = undefined;
  return { extensions, decoded };
}

/** A parsed certificate: plain fields, and the KeyObject made on first use. */
class ParsedCertificate implements Certificate {
  #publicKey: KeyObject | undefined;
  readonly #key: PublicKeyInfo;
  readonly keyType: "rsa" | "ec";
  readonly keyBits: number;
  readonly curve?: string;
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  readonly keyUsage?: ReadonlySet<KeyUsage>;
  readonly extKeyUsage?: readonly string[];
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  readonly tpm?: TpmIdentity;
  readonly #serialTlv: Tlv;
  #serial: string | undefined;

  constructor(
    readonly der: Uint8Array,
    readonly tbs: Uint8Array,
    readonly version: number,
    serial: Tlv,
    readonly issuer: Name,
    readonly subject: Name,
    readonly notBefore: Date,
    readonly notAfter: Date,
    readonly spki: Uint8Array,
    key: PublicKeyInfo,
    readonly signatureAlgorithm: { readonly oid: string; readonly params?: Uint8Array },
    readonly signature: Uint8Array,
    readonly extensions: readonly Extension[],
    decoded: Decoded,
  ) {
    this.#serialTlv = serial;
    this.#key = key;
    this.keyType = key.keyType;
    this.keyBits = key.keyBits;
    if (key.keyType === "ec") this.curve = key.curve.name;
    if (decoded.basicConstraints) this.basicConstraints = decoded.basicConstraints;
    if (decoded.keyUsage) this.keyUsage = decoded.keyUsage;
    if (decoded.extKeyUsage) this.extKeyUsage = decoded.extKeyUsage;
    if (decoded.subjectKeyId) this.subjectKeyId = decoded.subjectKeyId;
    if (decoded.authorityKeyId) this.authorityKeyId = decoded.authorityKeyId;
    if (decoded.tpm) this.tpm = decoded.tpm;
  }

  /** The serial number as colon-separated hex, made when first asked for (messages, listings). */
  get serial(): string {
    this.#serial ??= serialText(this.der, this.#serialTlv);
    return this.#serial;
  }

  /** Throws EkCertParseError if the key is not usable (e.g. a point that is not on its curve). */
  get publicKey(): KeyObject {
    this.#publicKey ??= publicKeyObject(this.#key);
    return this.#publicKey;
  }
}

/** The next TBS field, which must be there. */
function field(fields: readonly Tlv[], i: number, what: string, tbs: Tlv, at: Position): Tlv {
  const t = fields[i];
  if (!t) throw new DerError(`${what} is missing`, tbs.end);
  at.where = `tbsCertificate.${what}`;
  return t;
}

function parse(der: Uint8Array, at: Position): Certificate {
  // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
  at.where = "Certificate";
  const cert = expectUniversal(readTlv(der, 0), TAG.SEQUENCE);
  if (cert.end !== der.length) {
    throw new DerError(`${der.length - cert.end} byte(s) after the end of the certificate`, cert.end);
  }
  const [tbsTlv, sigAlgTlv, sigTlv, extra] = children(der, cert);
  if (!tbsTlv || !sigAlgTlv || !sigTlv)
    throw new DerError("a Certificate needs a TBS, an algorithm and a signature", 0);
  if (extra) throw new DerError("unexpected element after the signature", extra.start);
  at.where = "tbsCertificate";
  expectUniversal(tbsTlv, TAG.SEQUENCE);
  at.where = "signatureAlgorithm";
  const signatureAlgorithm = readAlgorithmIdentifier(der, sigAlgTlv);
  at.where = "signatureValue";
  const signature = readBitStringOctets(der, sigTlv);

  at.where = "tbsCertificate";
  const fields = children(der, tbsTlv);
  let i = 0;

  let version = 1;
  let t = field(fields, i++, "serialNumber", tbsTlv, at);
  if (isContext(t, 0)) {
    at.where = "tbsCertificate.version";
    version = readSmallInteger(der, onlyChild(der, t)) + 1;
    if (version > 3) throw new DerError(`unknown version ${version}`, t.start);
    t = field(fields, i++, "serialNumber", tbsTlv, at);
  }
  readIntegerBytes(der, t); // checked now, shown as text when first asked for (serial)
  const serial = t;
  const innerAlgTlv = field(fields, i++, "signature", tbsTlv, at);
  const innerAlg = readAlgorithmIdentifier(der, innerAlgTlv);
  const outerParams = signatureAlgorithm.paramsTlv && elementOf(der, signatureAlgorithm.paramsTlv);
  if (
    innerAlg.oid !== signatureAlgorithm.oid ||
    !equalBytes(innerAlg.paramsTlv && elementOf(der, innerAlg.paramsTlv), outerParams)
  ) {
    throw new DerError(
      `${describeOid(innerAlg.oid)} differs from signatureAlgorithm (${describeOid(signatureAlgorithm.oid)})`,
      innerAlgTlv.start,
    );
  }
  const issuer = readName(der, field(fields, i++, "issuer", tbsTlv, at));
  const validityTlv = field(fields, i++, "validity", tbsTlv, at);
  expectUniversal(validityTlv, TAG.SEQUENCE);
  const [nb, na, more] = children(der, validityTlv);
  if (!nb || !na) throw new DerError("Validity needs notBefore and notAfter", validityTlv.start);
  if (more) throw new DerError("unexpected element after notAfter", more.start);
  const notBefore = readTime(der, nb);
  const notAfter = readTime(der, na);
  const subject = readName(der, field(fields, i++, "subject", tbsTlv, at));
  const spkiTlv = field(fields, i++, "subjectPublicKeyInfo", tbsTlv, at);
  const key = readPublicKeyInfo(der, spkiTlv);

  let extensions: Extension[] = [];
  let decoded: Decoded = {};
  let last = 0;
  for (; i < fields.length; i++) {
    const f = fields[i] as Tlv;
    // issuerUniqueID [1], subjectUniqueID [2] (skipped), extensions [3]; in that order, once each.
    const n = f.cls === "context" ? f.tag : -1;
    at.where = "tbsCertificate";
    if (n < 1 || n > 3 || n <= last)
      throw new DerError(`unexpected ${describeTag(f)} after the subjectPublicKeyInfo`, f.start);
    last = n;
    if (n === 3) ({ extensions, decoded } = readExtensions(der, f, at));
  }

  const outerAlg = outerParams
    ? { oid: signatureAlgorithm.oid, params: outerParams }
    : { oid: signatureAlgorithm.oid };
  return new ParsedCertificate(
    der,
    elementOf(der, tbsTlv),
    version,
    serial,
    issuer,
    subject,
    notBefore,
    notAfter,
    elementOf(der, spkiTlv),
    key,
    outerAlg,
    signature,
    extensions,
    decoded,
  );
}

/** Options of parseCertificate. */
export interface ParseCertificateOptions {
  /**
   * The result keeps views of `der` itself instead of a private copy. Only for bytes the caller
   * owns and never changes while the result is in use; it saves the copy (1–2 µs, most of it
   * the new ArrayBuffer) where certificates are checked in bulk. Default false.
   */
  views?: boolean;
}

/**
 * Parses one DER certificate (nothing before or after it: see input.ts for PEM, base64 and NV
 * dumps). The result keeps views of one private copy of `der` (see `views`). Throws
 * EkCertParseError (or its subclass UnsupportedAlgorithmError), whose message names the field
 * that failed.
 */
export function parseCertificate(der: Uint8Array, options: ParseCertificateOptions = {}): Certificate {
  if (der.length === 0) throw new EkCertParseError("empty input: no certificate");
  if (der.length > MAX_CERTIFICATE_BYTES) {
    throw new EkCertParseError(
      `${der.length} bytes is too large for a certificate (at most ${MAX_CERTIFICATE_BYTES})`,
    );
  }
  const at: Position = { where: "Certificate" };
  try {
    return parse(options.views ? der : new Uint8Array(der), at); // a copy: Buffer#slice would share memory
  } catch (e) {
    const inner = toParseError(describePosition(at), e);
    const offset = inner.offset === undefined ? {} : { offset: inner.offset };
    if (inner instanceof UnsupportedAlgorithmError) {
      throw new UnsupportedAlgorithmError(inner.what, inner.oid, `unsupported certificate: ${inner.message}`);
    }
    throw new EkCertParseError(`malformed certificate: ${inner.message}`, {
      cause: inner.cause ?? e,
      ...offset,
    });
  }
}
