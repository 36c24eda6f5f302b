// The object identifiers shared/ekcert reads, as dotted strings, with short names for messages.
// Sources: RFC 5280 (PKIX), RFC 3279 / RFC 4055 / RFC 5758 (algorithms), RFC 5480 (EC keys),
// RFC 4519 (name attributes), TCG EK Credential Profile 2.x §3.2 (TPM attributes, EKU).

export const OID = {
  // Signature algorithms.
  sha1WithRSAEncryption: "1.2.840.113549.1.1.5",
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  sha384WithRSAEncryption: "1.2.840.113549.1.1.12",
  sha512WithRSAEncryption: "1.2.840.113549.1.1.13",
  rsassaPss: "1.2.840.113549.1.1.10",
  ecdsaWithSha1: "1.2.840.10045.4.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  ecdsaWithSha384: "1.2.840.10045.4.3.3",
  ecdsaWithSha512: "1.2.840.10045.4.3.4",
  // RSASSA-PSS parameters (RFC 4055).
  mgf1: "1.2.840.113549.1.1.8",
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
  // Public keys.
  rsaEncryption: "1.2.840.113549.1.1.1",
  rsaesOaep: "1.2.840.113549.1.1.7",
  ecPublicKey: "1.2.840.10045.2.1",
  // Named curves.
  p256: "1.2.840.10045.3.1.7",
  p384: "1.3.132.0.34",
  p521: "1.3.132.0.35",
  // Certificate extensions.
  subjectDirectoryAttributes: "2.5.29.9",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  issuerAltName: "2.5.29.18",
  basicConstraints: "2.5.29.19",
  nameConstraints: "2.5.29.30",
  crlDistributionPoints: "2.5.29.31",
  certificatePolicies: "2.5.29.32",
  policyConstraints: "2.5.29.36",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  inhibitAnyPolicy: "2.5.29.54",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
  // Name attributes.
  commonName: "2.5.4.3",
  surname: "2.5.4.4",
  serialNumber: "2.5.4.5",
  countryName: "2.5.4.6",
  localityName: "2.5.4.7",
  stateOrProvinceName: "2.5.4.8",
  streetAddress: "2.5.4.9",
  organizationName: "2.5.4.10",
  organizationalUnitName: "2.5.4.11",
  title: "2.5.4.12",
  givenName: "2.5.4.42",
  organizationIdentifier: "2.5.4.97",
  emailAddress: "1.2.840.113549.1.9.1",
  domainComponent: "0.9.2342.19200300.100.1.25",
  userId: "0.9.2342.19200300.100.1.1",
  // TCG (EK Credential Profile §3.2.9, §3.2.10, §3.2.16).
  tpmManufacturer: "2.23.133.2.1",
  tpmModel: "2.23.133.2.2",
  tpmVersion: "2.23.133.2.3",
  tpmSpecification: "2.23.133.2.16",
  tcgKpEkCertificate: "2.23.133.8.1",
  tcgKpPlatformCertificate: "2.23.133.8.2",
  tcgKpAikCertificate: "2.23.133.8.3",
} as const;

export type OidName = keyof typeof OID;

/** Short names for name attributes, as RFC 4514 (and openssl) print them. */
const ATTRIBUTE_SHORT_NAMES: Readonly<Record<string, string>> = {
  [OID.commonName]: "CN",
  [OID.surname]: "SN",
  [OID.serialNumber]: "serialNumber",
  [OID.countryName]: "C",
  [OID.localityName]: "L",
  [OID.stateOrProvinceName]: "ST",
  [OID.streetAddress]: "STREET",
  [OID.organizationName]: "O",
  [OID.organizationalUnitName]: "OU",
  [OID.title]: "title",
  [OID.givenName]: "GN",
  [OID.organizationIdentifier]: "organizationIdentifier",
  [OID.emailAddress]: "emailAddress",
  [OID.domainComponent]: "DC",
  [OID.userId]: "UID",
  [OID.tpmManufacturer]: "tpmManufacturer",
  [OID.tpmModel]: "tpmModel",
  [OID.tpmVersion]: "tpmVersion",
};

const NAMES: ReadonlyMap<string, string> = new Map(Object.entries(OID).map(([name, oid]) => [oid, name]));

/** The short name of a name attribute type ("CN", "O", …), or its dotted OID. */
export function attributeShortName(oid: string): string {
  return ATTRIBUTE_SHORT_NAMES[oid] ?? oid;
}

/** A readable name for any OID we know ("sha256WithRSAEncryption", "subjectAltName"), else undefined. */
export function oidName(oid: string): string | undefined {
  return NAMES.get(oid);
}

/** "2.5.29.17 (subjectAltName)" or just the dotted OID: for messages. */
export function describeOid(oid: string): string {
  const name = oidName(oid);
  return name ? `${oid} (${name})` : oid;
}
