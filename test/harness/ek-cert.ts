// EK certificates shaped like the ones TPM vendors burn into NV (compare
// ../shared/ek-samples): empty subject; critical SAN whose only name is a directoryName of TPM
// manufacturer/model/version attributes (UTF8String, one RDN each); critical basicConstraints
// CA:false; critical keyUsage keyEncipherment (RSA EK) or keyAgreement (ECC EK); EKU
// 2.23.133.8.1; AKI = issuer's SKI; Subject Directory Attributes with tpmSpecification; a
// validity of ten years.
import "reflect-metadata";
import { createPublicKey, generateKeyPair, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import * as x509 from "@peculiar/x509";
import { explicit, integer, objectIdentifier, sequence, set, utf8String } from "./der.js";
import { addYears, type TestCa, type TestPki } from "./pki.js";

/** TCG attributes (EK Credential Profile §3.2.9), as in the SAN's directoryName. */
export interface TpmAttributes {
  /** 2.23.133.2.1, e.g. "id:00001014". */
  manufacturer: string;
  /** 2.23.133.2.2, e.g. "swtpm". */
  model: string;
  /** 2.23.133.2.3, e.g. "id:20191023". */
  version: string;
}

/** What swtpm_setup itself passes to its cert tool, so harness certs describe the TPM truthfully. */
export const SWTPM_TPM_ATTRIBUTES: TpmAttributes = {
  manufacturer: "id:00001014",
  model: "swtpm",
  version: "id:20191023",
};

export const OID = {
  tpmManufacturer: "2.23.133.2.1",
  tpmModel: "2.23.133.2.2",
  tpmVersion: "2.23.133.2.3",
  tpmSpecification: "2.23.133.2.16",
  ekCertificate: "2.23.133.8.1",
  subjectAltName: "2.5.29.17",
  subjectDirectoryAttributes: "2.5.29.9",
} as const;

export type Vendor = "A" | "B" | "rogue";
export type EkKeyType = "rsa" | "ecc";

export interface IssueEkCertOptions {
  issuer: TestCa;
  /** The EK public key: SPKI as PEM text or DER bytes (what tpm2_readpublic -f pem writes). */
  ekPublicKey: string | Uint8Array;
  tpm?: TpmAttributes;
  notBefore?: Date;
  notAfter?: Date;
}

/** Whether an SPKI holds an RSA or an EC key (read with node:crypto, not with x509 code). */
export function ekKeyType(spki: string | Uint8Array): EkKeyType {
  const key =
    typeof spki === "string"
      ? createPublicKey(spki)
      : createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  if (key.asymmetricKeyType === "rsa") return "rsa";
  if (key.asymmetricKeyType === "ec") return "ecc";
  throw new Error(`EK public key of unsupported type ${key.asymmetricKeyType}`);
}

export function spkiDer(spki: string | Uint8Array): Uint8Array {
  if (typeof spki !== "string") return spki;
  return new Uint8Array(createPublicKey(spki).export({ format: "der", type: "spki" }));
}

/** The CA of a vendor that signs EK certs of the given key type (DESIGN §9). */
export function ekIssuer(pki: TestPki, vendor: Vendor, keyType: EkKeyType): TestCa {
  switch (vendor) {
    case "A":
      return keyType === "rsa" ? pki.vendorA.rsaIntermediate : pki.vendorA.eccIntermediate;
    case "B":
      return pki.vendorB.root;
    case "rogue":
      return pki.rogue.root;
  }
}

/** Intermediates a vendor ships in NV 0x01C00100 (none when a root signs EK certs directly). */
export function vendorIntermediates(pki: TestPki, vendor: Vendor): TestCa[] {
  return vendor === "A" ? [pki.vendorA.rsaIntermediate, pki.vendorA.eccIntermediate] : [];
}

function tpmAttributesSan(tpm: TpmAttributes): x509.Extension {
  const rdn = (oid: string, value: string): Uint8Array =>
    set(sequence(objectIdentifier(oid), utf8String(value)));
  const name = sequence(
    rdn(OID.tpmManufacturer, tpm.manufacturer),
    rdn(OID.tpmModel, tpm.model),
    rdn(OID.tpmVersion, tpm.version),
  );
  // GeneralNames ::= SEQUENCE OF GeneralName; directoryName is [4] EXPLICIT Name (Name is a CHOICE).
  return new x509.Extension(OID.subjectAltName, true, sequence(explicit(4, name)));
}

function tpmSpecificationSda(): x509.Extension {
  // TPM 2.0, level 0, revision 164: the values swtpm_setup reports for libtpms.
  const spec = sequence(utf8String("2.0"), integer(0), integer(164));
  const attr = sequence(objectIdentifier(OID.tpmSpecification), set(spec));
  return new x509.Extension(OID.subjectDirectoryAttributes, false, sequence(attr));
}

/** Issue an EK certificate for exactly `ekPublicKey`, signed by `issuer`. Returns the DER. */
export async function issueEkCert(opts: IssueEkCertOptions): Promise<Uint8Array> {
  const spki = spkiDer(opts.ekPublicKey);
  const keyType = ekKeyType(spki);
  const notBefore = opts.notBefore ?? new Date(Date.now() - 86_400_000);
  const notAfter = opts.notAfter ?? addYears(notBefore, 10);
  // A random 15-byte serial like most vendors': top bit clear so it is positive, 0x10 set so the
  // first byte is never zero (DER would otherwise shorten it).
  const serial = randomBytes(15);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x10;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString("hex"),
    subject: [],
    issuer: new x509.Name(opts.issuer.cert.subjectName.toArrayBuffer()),
    publicKey: spki,
    signingKey: opts.issuer.privateKey,
    signingAlgorithm: opts.issuer.signingAlgorithm,
    notBefore,
    notAfter,
    extensions: [
      new x509.KeyUsagesExtension(
        keyType === "rsa" ? x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      tpmAttributesSan(opts.tpm ?? SWTPM_TPM_ATTRIBUTES),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.AuthorityKeyIdentifierExtension(opts.issuer.skiHex),
      new x509.ExtendedKeyUsageExtension([OID.ekCertificate]),
      tpmSpecificationSda(),
    ],
  });
  return new Uint8Array(cert.rawData);
}

/** A fresh key pair's public SPKI, for "foreign" certs: valid vendor certs for a key no TPM has. */
export async function foreignPublicKey(
  keyType: EkKeyType,
  curve: "P-256" | "P-384" = "P-256",
): Promise<Uint8Array> {
  const gen = promisify(generateKeyPair);
  const { publicKey } =
    keyType === "rsa" ? await gen("rsa", { modulusLength: 2048 }) : await gen("ec", { namedCurve: curve });
  return new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
}
