// A small X.509 writer for the benchmark: EK-shaped certificates (DESIGN §4, the shape of
// ../shared/ek-samples) and the CAs that issue them, written straight as DER and signed with
// node:crypto. Building thousands with @peculiar/x509 would take minutes; here the fixed parts
// of a leaf are encoded once per issuer and only the serial and the subject key vary.
import { createHash, type KeyObject, sign } from "node:crypto";
import { explicit, integer, objectIdentifier, sequence, set, tlv, utf8String } from "../harness/der.js";

export const OID = {
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  commonName: "2.5.4.3",
  organization: "2.5.4.10",
  country: "2.5.4.6",
  subjectDirectoryAttributes: "2.5.29.9",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  tpmManufacturer: "2.23.133.2.1",
  tpmModel: "2.23.133.2.2",
  tpmVersion: "2.23.133.2.3",
  tpmSpecification: "2.23.133.2.16",
  ekCertificate: "2.23.133.8.1",
} as const;

export type SignatureScheme = "sha256WithRSAEncryption" | "ecdsa-with-SHA384";

const bool = (v: boolean): Uint8Array => tlv(0x01, Uint8Array.of(v ? 0xff : 0x00));
const octetString = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
const bitString = (bytes: Uint8Array, unusedBits = 0): Uint8Array =>
  tlv(0x03, Uint8Array.of(unusedBits), bytes);
const printableString = (s: string): Uint8Array => tlv(0x13, Buffer.from(s, "ascii"));

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(date: Date): Uint8Array {
  const iso = date.toISOString(); // 2026-06-01T12:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, "ascii"))
    : tlv(0x18, Buffer.from(`${digits}Z`, "ascii"));
}

function algorithmIdentifier(scheme: SignatureScheme): Uint8Array {
  return scheme === "sha256WithRSAEncryption"
    ? sequence(objectIdentifier(OID.sha256WithRSAEncryption), tlv(0x05))
    : sequence(objectIdentifier(OID.ecdsaWithSha384));
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? sequence(objectIdentifier(oid), bool(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

/** A Name of PrintableString attributes, one per RDN, in the order given. */
export function name(attrs: readonly [oid: string, value: string][]): Uint8Array {
  return sequence(
    ...attrs.map(([oid, value]) => set(sequence(objectIdentifier(oid), printableString(value)))),
  );
}

/** Key identifier as RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes (here: of the SPKI, which is as unique). */
export function keyId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(spki).digest());
}

export function spkiOf(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "spki" }));
}

function hashFor(scheme: SignatureScheme): string {
  return scheme === "sha256WithRSAEncryption" ? "sha256" : "sha384";
}

/** Signs asynchronously (libuv's thread pool, so several signatures run at once). */
export function signTbs(scheme: SignatureScheme, tbs: Uint8Array, key: KeyObject): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    sign(hashFor(scheme), tbs, key, (error, signature) => {
      if (error) reject(error);
      else resolve(new Uint8Array(signature));
    });
  });
}

export function certificate(tbs: Uint8Array, scheme: SignatureScheme, signature: Uint8Array): Uint8Array {
  return new Uint8Array(sequence(tbs, algorithmIdentifier(scheme), bitString(signature)));
}

/** A positive INTEGER's content from 16 bytes: top bit clear and first byte non-zero, so it stays minimal. */
export function serialBytes(counter: number, salt: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  out.set(salt.subarray(0, 8), 0);
  out[0] = ((out[0] ?? 0) & 0x7f) | 0x10;
  new DataView(out.buffer).setBigUint64(8, BigInt(counter));
  return out;
}

export interface CaSpec {
  subject: Uint8Array;
  /** The CA's own key pair: self-signed. */
  publicKey: KeyObject;
  privateKey: KeyObject;
  scheme: SignatureScheme;
  notBefore: Date;
  notAfter: Date;
  serial: Uint8Array;
}

/** A self-signed root CA: basicConstraints CA:true, keyUsage keyCertSign|cRLSign, SKI. */
export async function caCertificate(spec: CaSpec): Promise<{ der: Uint8Array; ski: Uint8Array }> {
  const spki = spkiOf(spec.publicKey);
  const ski = keyId(spki);
  const tbs = sequence(
    explicit(0, integer(2)),
    tlv(0x02, spec.serial),
    algorithmIdentifier(spec.scheme),
    spec.subject,
    sequence(time(spec.notBefore), time(spec.notAfter)),
    spec.subject,
    spki,
    explicit(
      3,
      sequence(
        extension(OID.basicConstraints, true, sequence(bool(true))),
        // keyCertSign (5) and cRLSign (6): 0b0000_0110, one unused bit.
        extension(OID.keyUsage, true, bitString(Uint8Array.of(0x06), 1)),
        extension(OID.subjectKeyIdentifier, false, octetString(ski)),
      ),
    ),
  );
  const signature = await signTbs(spec.scheme, tbs, spec.privateKey);
  return { der: certificate(tbs, spec.scheme, signature), ski };
}

export interface TpmAttributes {
  manufacturer: string;
  model: string;
  version: string;
}

export interface LeafTemplate {
  issuer: Uint8Array;
  issuerSki: Uint8Array;
  scheme: SignatureScheme;
  notBefore: Date;
  notAfter: Date;
  /** keyEncipherment for an RSA EK, keyAgreement for an ECC EK (EK credential profile). */
  keyUsage: "keyEncipherment" | "keyAgreement";
  tpm: TpmAttributes;
}

/**
 * The parts of an EK certificate's TBS that do not change from one cert to the next, encoded
 * once: everything before the serial, and everything after it but the subject key.
 */
export interface CompiledLeafTemplate {
  readonly afterSerial: Uint8Array;
  readonly extensions: Uint8Array;
  readonly scheme: SignatureScheme;
}

export function compileLeafTemplate(t: LeafTemplate): CompiledLeafTemplate {
  const tpmName = sequence(
    set(sequence(objectIdentifier(OID.tpmManufacturer), utf8String(t.tpm.manufacturer))),
    set(sequence(objectIdentifier(OID.tpmModel), utf8String(t.tpm.model))),
    set(sequence(objectIdentifier(OID.tpmVersion), utf8String(t.tpm.version))),
  );
  // keyEncipherment is bit 2 (0x20, five unused bits); keyAgreement bit 4 (0x08, three unused).
  const keyUsage =
    t.keyUsage === "keyEncipherment" ? bitString(Uint8Array.of(0x20), 5) : bitString(Uint8Array.of(0x08), 3);
  const tpmSpec = sequence(utf8String("2.0"), integer(0), integer(164));
  const extensions = explicit(
    3,
    sequence(
      extension(OID.authorityKeyIdentifier, false, sequence(tlv(0x80, t.issuerSki))),
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, keyUsage),
      extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.ekCertificate))),
      // The SAN of a real EK cert: critical, one directoryName ([4] EXPLICIT) of TPM attributes.
      extension(OID.subjectAltName, true, sequence(explicit(4, tpmName))),
      extension(
        OID.subjectDirectoryAttributes,
        false,
        sequence(sequence(objectIdentifier(OID.tpmSpecification), set(tpmSpec))),
      ),
    ),
  );
  const afterSerial = Buffer.concat([
    algorithmIdentifier(t.scheme),
    t.issuer,
    sequence(time(t.notBefore), time(t.notAfter)),
    sequence(), // the empty subject of EK certs
  ]);
  return { afterSerial, extensions, scheme: t.scheme };
}

/** The TBSCertificate of one EK cert: the template with this serial and subject key. */
export function leafTbs(t: CompiledLeafTemplate, serial: Uint8Array, spki: Uint8Array): Uint8Array {
  return new Uint8Array(
    sequence(explicit(0, integer(2)), tlv(0x02, serial), t.afterSerial, spki, t.extensions),
  );
}
