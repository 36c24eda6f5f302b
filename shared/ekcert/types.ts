// The shapes shared/ekcert works with (DESIGN §4). One parser, a lean DER walker of our own
// (der.ts, certificate.ts), serves both inspection and the bulk-import hot path: it keeps the
// original bytes of everything that is signed or hashed, so nothing is ever re-encoded.
import type { KeyObject } from "node:crypto";

/** One attribute of a distinguished name: `CN=Foo` is { type: "2.5.4.3", value: "Foo" }. */
export interface NameAttribute {
  /** Dotted OID. */
  readonly type: string;
  /** The ASN.1 string tag it was encoded with (12 UTF8String, 19 PrintableString, …). */
  readonly tag: number;
  /** The decoded text. */
  readonly value: string;
}

/** An X.501 Name, with its original DER kept. */
export interface Name {
  /** The Name exactly as encoded in the certificate. */
  readonly der: Uint8Array;
  /** RDNs in encoded order, each a set of attributes in encoded order (Nuvoton's SETs are not DER-sorted). */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** Human-readable, in encoded order (RFC 2253 text without its reversal): `C=DE, O=Infineon Technologies AG, OU=OPTIGA(TM), CN=Infineon OPTIGA(TM) RSA Manufacturing CA 035`. */
  readonly text: string;
}

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's contents. */
  readonly value: Uint8Array;
}

/** What the SAN directoryName of an EK certificate says about the TPM (TCG EK Credential Profile §3.2.9). */
export interface TpmIdentity {
  /** 2.23.133.2.1, as written: "id:4E544300". */
  readonly manufacturer: string;
  /** The four-character vendor code the id spells, e.g. "NTC", "IFX", "STM", "INTC"; undefined if it is not ASCII. */
  readonly manufacturerCode?: string;
  /** 2.23.133.2.2, e.g. "NPCT75x". */
  readonly model: string;
  /** 2.23.133.2.3, e.g. "id:00070002". */
  readonly version: string;
}

export type KeyUsage =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

export interface Certificate {
  /** The certificate exactly as given (padding and headers removed, nothing re-encoded). */
  readonly der: Uint8Array;
  /** The TBSCertificate exactly as encoded: what the signature covers. */
  readonly tbs: Uint8Array;
  readonly version: number;
  /** Serial number as colon-separated lowercase hex, as openssl prints it ("4f:2a:…"). */
  readonly serial: string;
  readonly issuer: Name;
  readonly subject: Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo exactly as encoded. */
  readonly spki: Uint8Array;
  /**
   * The public key for node:crypto. An RSA key under the id-RSAES-OAEP OID (1.2.840.113549.1.1.7,
   * some Nuvoton, STMicro and older Infineon certs) is read as a plain RSA key.
   */
  readonly publicKey: KeyObject;
  readonly keyType: "rsa" | "ec";
  /** RSA modulus size, or the curve's size, in bits. */
  readonly keyBits: number;
  /** For EC keys: "P-256", "P-384" or "P-521". */
  readonly curve?: string;
  /** Dotted OID of the outer signatureAlgorithm, and its parameters' DER (RSA-PSS needs them). */
  readonly signatureAlgorithm: { readonly oid: string; readonly params?: Uint8Array };
  readonly signature: Uint8Array;
  readonly extensions: readonly Extension[];
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  readonly keyUsage?: ReadonlySet<KeyUsage>;
  /** Dotted OIDs. */
  readonly extKeyUsage?: readonly string[];
  readonly subjectKeyId?: Uint8Array;
  readonly authorityKeyId?: Uint8Array;
  /** From a SAN directoryName holding TPM attributes, when present. */
  readonly tpm?: TpmIdentity;
}

/** Stable codes for every way an EK certificate can be refused (for scripts and metrics). */
export type EkRejectCode =
  | "EK_CERT_MALFORMED"
  | "EK_CERT_NOT_EK"
  | "EK_CERT_UNKNOWN_CRITICAL_EXTENSION"
  | "EK_CERT_EXPIRED"
  | "EK_CERT_NOT_YET_VALID"
  | "EK_CHAIN_UNTRUSTED"
  | "EK_CHAIN_BAD_SIGNATURE"
  | "EK_CHAIN_ISSUER_NOT_CA"
  | "EK_CHAIN_TOO_LONG"
  | "EK_CHAIN_CA_EXPIRED";

export type EkVerifyResult =
  | {
      readonly ok: true;
      readonly leaf: Certificate;
      /** Leaf first, ending at the trust anchor from the store. */
      readonly chain: readonly Certificate[];
      readonly ekPubSha256: string;
    }
  | {
      readonly ok: false;
      readonly code: EkRejectCode;
      /** Names the certificate, the check and what was looked for, in words an operator can act on. */
      readonly reason: string;
      /** The leaf, when it parsed. */
      readonly leaf?: Certificate;
    };
