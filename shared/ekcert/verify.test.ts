// EK certificate verification against CAs made here with @peculiar/x509 and WebCrypto: what
// each certificate is (a look-alike root, a flipped signature bit, an issuer without the CA
// flag, …) is decided by how the test built it, never by the code under test.
import "reflect-metadata";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { beforeAll, describe, expect, it } from "vitest";
import { explicit, objectIdentifier, sequence, set, utf8String } from "../../test/harness/der.js";
import { parseCertificate } from "./certificate.js";
import { CaStore } from "./store.js";
import type { Certificate } from "./types.js";
import { chainSubjects, verifyEkCertificate, verifyIssuedBy } from "./verify.js";

x509.cryptoProvider.set(webcrypto);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
const DAY = 86_400_000;
const KU = x509.KeyUsageFlags;
const EKU_EK = "2.23.133.8.1";
const EKU_AK = "2.23.133.8.3";

const rsaKey = async (): Promise<CryptoKeyPair> =>
  (await webcrypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
const ecKey = async (curve = "P-256"): Promise<CryptoKeyPair> =>
  (await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;

const signingAlgorithm = (keys: CryptoKeyPair) =>
  keys.privateKey.algorithm.name === "ECDSA"
    ? { name: "ECDSA", hash: "SHA-256" }
    : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };

const serial = (): string => {
  const s = randomBytes(12);
  s[0] = ((s[0] ?? 0) & 0x7f) | 0x10;
  return s.toString("hex");
};

interface TestCa {
  readonly x: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly cert: Certificate;
  readonly skiHex: string;
}

interface CaOptions {
  issuer?: TestCa;
  /** null: no basicConstraints at all. */
  basicConstraints?: x509.BasicConstraintsExtension | null;
  /** null: no keyUsage. */
  keyUsage?: number | null;
  notBefore?: Date;
  notAfter?: Date;
  extra?: x509.Extension[];
}

async function makeCa(subject: string, keys: CryptoKeyPair, o: CaOptions = {}): Promise<TestCa> {
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const extensions: x509.Extension[] = [ski];
  if (o.basicConstraints !== null)
    extensions.push(o.basicConstraints ?? new x509.BasicConstraintsExtension(true, undefined, true));
  if (o.keyUsage !== null)
    extensions.push(new x509.KeyUsagesExtension(o.keyUsage ?? KU.keyCertSign | KU.cRLSign, true));
  if (o.issuer) extensions.push(new x509.AuthorityKeyIdentifierExtension(o.issuer.skiHex));
  extensions.push(...(o.extra ?? []));
  const notBefore = o.notBefore ?? new Date(Date.now() - 2 * DAY);
  const x = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: o.issuer ? new x509.Name(o.issuer.x.subjectName.toArrayBuffer()) : subject,
    publicKey: keys.publicKey,
    signingKey: (o.issuer?.keys ?? keys).privateKey,
    signingAlgorithm: signingAlgorithm(o.issuer?.keys ?? keys),
    notBefore,
    notAfter: o.notAfter ?? new Date(notBefore.getTime() + 20 * 365 * DAY),
    extensions,
  });
  return { x, keys, cert: parseCertificate(new Uint8Array(x.rawData)), skiHex: ski.keyId };
}

/** The critical SAN of real EK certs: one directoryName of TPM manufacturer, model, version. */
function tpmSan(): x509.Extension {
  const rdn = (oid: string, value: string) => set(sequence(objectIdentifier(oid), utf8String(value)));
  const name = sequence(
    rdn("2.23.133.2.1", "id:00001014"),
    rdn("2.23.133.2.2", "swtpm"),
    rdn("2.23.133.2.3", "id:20191023"),
  );
  return new x509.Extension("2.5.29.17", true, sequence(explicit(4, name)));
}

interface EkOptions {
  /** The EK's key pair (its public half goes in the cert). */
  ek?: CryptoKeyPair;
  keyUsage?: number | null;
  eku?: string[] | null;
  basicConstraints?: x509.BasicConstraintsExtension | null;
  /** Leave out the Authority Key Identifier. */
  noAki?: boolean;
  /** The issuer name as written in the cert, when not the issuer's subject as encoded. */
  issuerName?: string;
  notBefore?: Date;
  notAfter?: Date;
  extra?: x509.Extension[];
}

async function makeEk(issuer: TestCa, o: EkOptions = {}): Promise<x509.X509Certificate> {
  const ek = o.ek ?? ekRsa;
  const rsa = ek.publicKey.algorithm.name !== "ECDSA";
  const extensions: x509.Extension[] = [tpmSan()];
  if (o.keyUsage !== null)
    extensions.push(
      new x509.KeyUsagesExtension(o.keyUsage ?? (rsa ? KU.keyEncipherment : KU.keyAgreement), true),
    );
  if (o.basicConstraints !== null)
    extensions.push(o.basicConstraints ?? new x509.BasicConstraintsExtension(false, undefined, true));
  if (!o.noAki) extensions.push(new x509.AuthorityKeyIdentifierExtension(issuer.skiHex));
  if (o.eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(o.eku ?? [EKU_EK]));
  extensions.push(...(o.extra ?? []));
  const notBefore = o.notBefore ?? new Date(Date.now() - DAY);
  return x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: [],
    issuer: o.issuerName ?? new x509.Name(issuer.x.subjectName.toArrayBuffer()),
    publicKey: ek.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: signingAlgorithm(issuer.keys),
    notBefore,
    notAfter: o.notAfter ?? new Date(notBefore.getTime() + 10 * 365 * DAY),
    extensions,
  });
}

const der = (x: x509.X509Certificate): Uint8Array => new Uint8Array(x.rawData);
const ekCert = async (issuer: TestCa, o?: EkOptions): Promise<Certificate> =>
  parseCertificate(der(await makeEk(issuer, o)));

let ekRsa: CryptoKeyPair;
let ekEcc: CryptoKeyPair;
let root: TestCa; // vendor root, RSA
let rsaCa: TestCa; // its RSA intermediate
let eccCa: TestCa; // its ECC intermediate (P-384)
let lookAlike: TestCa; // same subject as root, other key
let other: CryptoKeyPair; // a spare RSA key for odd CAs
let store: CaStore;

const ROOT_SUBJECT = "C=DE, O=Test Vendor AG, OU=TPM, CN=Test Vendor TPM EK Root CA";

beforeAll(async () => {
  const [rootKeys, rsaKeys, eccKeys, rogueKeys, spare, ek1, ek2] = await Promise.all([
    rsaKey(),
    rsaKey(),
    ecKey("P-384"),
    rsaKey(),
    rsaKey(),
    rsaKey(),
    ecKey(),
  ]);
  ekRsa = ek1;
  ekEcc = ek2;
  other = spare;
  root = await makeCa(ROOT_SUBJECT, rootKeys, {
    basicConstraints: new x509.BasicConstraintsExtension(true, 1, true),
  });
  rsaCa = await makeCa("C=DE, O=Test Vendor AG, OU=TPM, CN=Test Vendor RSA Manufacturing CA 001", rsaKeys, {
    issuer: root,
    basicConstraints: new x509.BasicConstraintsExtension(true, 0, true),
  });
  eccCa = await makeCa("C=DE, O=Test Vendor AG, OU=TPM, CN=Test Vendor ECC Manufacturing CA 001", eccKeys, {
    issuer: root,
    basicConstraints: new x509.BasicConstraintsExtension(true, 0, true),
  });
  lookAlike = await makeCa(ROOT_SUBJECT, rogueKeys);
  store = new CaStore([root.cert, rsaCa.cert, eccCa.cert], "test-cas");
});

describe("verifyEkCertificate: EK certificates that chain to the store", () => {
  it("accepts an RSA EK certificate through a store intermediate, chain leaf → intermediate → root", async () => {
    const leaf = await ekCert(rsaCa);
    const result = verifyEkCertificate(leaf, { store });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (!result.ok) return;
    expect(result.chain.map((c) => c.der)).toEqual([leaf.der, rsaCa.cert.der, root.cert.der]);
    expect(result.leaf).toBe(leaf);
    expect(result.ekPubSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("accepts an ECC EK certificate with key usage keyAgreement", async () => {
    const result = verifyEkCertificate(await ekCert(eccCa, { ek: ekEcc }), { store });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
  });

  it("reads DER input, and takes further certificates of a PEM input as intermediates", async () => {
    const leaf = await makeEk(rsaCa);
    const onlyRoot = new CaStore([root.cert]);
    expect(verifyEkCertificate(der(leaf), { store }).ok).toBe(true);
    const pem = `${leaf.toString("pem")}\n${rsaCa.x.toString("pem")}\n`;
    const result = verifyEkCertificate(new TextEncoder().encode(pem), { store: onlyRoot });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (result.ok) expect(result.chain).toHaveLength(3);
  });

  it("trusts a given intermediate when it chains to a store certificate", async () => {
    const result = verifyEkCertificate(await ekCert(rsaCa), {
      store: new CaStore([root.cert]),
      intermediates: [rsaCa.cert],
    });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (result.ok) expect(chainSubjects(result.chain).slice(1)).toEqual([rsaCa.x.subject, root.x.subject]);
  });

  it("ends the path at a store intermediate whose root the store does not hold (partial chain)", async () => {
    const result = verifyEkCertificate(await ekCert(rsaCa), { store: new CaStore([rsaCa.cert]) });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (result.ok) expect(result.chain.map((c) => c.der)).toEqual([result.leaf.der, rsaCa.cert.der]);
  });

  it("finds the real issuer among store certificates that share its name", async () => {
    const leaf = await ekCert(rsaCa, { noAki: true });
    // The intermediate is issued by the root; a look-alike of the root is in the store too.
    const both = new CaStore([lookAlike.cert, root.cert]);
    const result = verifyEkCertificate(leaf, { store: both, intermediates: [rsaCa.cert] });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
    if (result.ok) expect(result.chain[2]?.der).toEqual(root.cert.der);
  });

  it("matches an issuer name written with other case and spacing (RFC 5280 §7.1)", async () => {
    const leaf = await ekCert(root, {
      issuerName: "C=de, O=test  vendor ag, OU=TPM, CN=TEST VENDOR TPM EK ROOT CA",
    });
    expect(leaf.issuer.der).not.toEqual(root.cert.subject.der);
    const result = verifyEkCertificate(leaf, { store });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
  });

  it("accepts an EK certificate that outlives its CA when checked at the capture time", async () => {
    const start = new Date("2019-01-01T00:00:00Z");
    const shortCa = await makeCa("CN=Short-lived EK CA", other, {
      notBefore: start,
      notAfter: new Date("2029-01-01T00:00:00Z"),
    });
    const leaf = await ekCert(shortCa, { notBefore: start, notAfter: new Date("2049-01-01T00:00:00Z") });
    const captured = new Date("2024-06-01T00:00:00Z");
    const s = new CaStore([shortCa.cert]);
    expect(verifyEkCertificate(leaf, { store: s, at: captured }).ok).toBe(true);
    const later = verifyEkCertificate(leaf, { store: s, at: new Date("2035-01-01T00:00:00Z") });
    expect(later).toMatchObject({ ok: false, code: "EK_CHAIN_CA_EXPIRED" });
    if (!later.ok) {
      expect(later.reason).toContain('"CN=Short-lived EK CA"');
      expect(later.reason).toContain("2029-01-01T00:00:00Z");
      expect(later.reason).toContain("2035-01-01T00:00:00Z");
    }
    const ignoring = verifyEkCertificate(leaf, {
      store: s,
      at: new Date("2035-01-01T00:00:00Z"),
      caValidity: "ignore",
    });
    expect(ignoring.ok).toBe(true);
  });
});

describe("verifyEkCertificate: refusals name the failing check", () => {
  it("refuses a cert issued by a look-alike of the vendor root (same subject, other key)", async () => {
    const leaf = await ekCert(lookAlike);
    const result = verifyEkCertificate(leaf, { store });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_UNTRUSTED" });
    if (result.ok) return;
    expect(result.leaf).toBe(leaf);
    expect(result.reason).toContain(`serial ${leaf.serial}`);
    expect(result.reason).toContain(`"${root.cert.subject.text}"`);
    expect(result.reason).toMatch(
      /Authority Key Identifier .* is not that certificate's Subject Key Identifier/,
    );
    expect(result.reason).toContain("signature does not verify");
    expect(result.reason).toContain("the only certificate with that name in the CA store");
  });

  it("refuses a look-alike's cert without an Authority Key Identifier: its signature does not verify", async () => {
    const result = verifyEkCertificate(await ekCert(lookAlike, { noAki: true }), { store });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_BAD_SIGNATURE" });
    if (!result.ok)
      expect(result.reason).toMatch(
        /signature of .* does not verify with the key of "C=DE, O=Test Vendor AG/,
      );
  });

  it("refuses a cert with a flipped signature bit", async () => {
    const bytes = der(await makeEk(rsaCa));
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01; // the last byte is in the signature
    const result = verifyEkCertificate(bytes, { store });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_BAD_SIGNATURE" });
    if (!result.ok) {
      expect(result.reason).toContain("does not verify with the key of");
      expect(result.reason).toContain(rsaCa.cert.subject.text);
    }
  });

  it("refuses a cert with an unknown critical extension, and names it", async () => {
    const odd = new x509.Extension("1.3.6.1.4.1.99999.1", true, new Uint8Array([0x05, 0x00]));
    const result = verifyEkCertificate(await ekCert(rsaCa, { extra: [odd] }), { store });
    expect(result).toMatchObject({ ok: false, code: "EK_CERT_UNKNOWN_CRITICAL_EXTENSION" });
    if (!result.ok) expect(result.reason).toContain("1.3.6.1.4.1.99999.1");
  });

  it("accepts the same extension when it is not critical", async () => {
    const odd = new x509.Extension("1.3.6.1.4.1.99999.1", false, new Uint8Array([0x05, 0x00]));
    expect(verifyEkCertificate(await ekCert(rsaCa, { extra: [odd] }), { store }).ok).toBe(true);
  });

  it("refuses a path through a CA with a critical extension it does not enforce (nameConstraints)", async () => {
    const constraints = new x509.Extension("2.5.29.30", true, sequence(explicit(0, sequence())));
    const constrained = await makeCa("CN=Constrained EK CA", other, { extra: [constraints] });
    const result = verifyEkCertificate(await ekCert(constrained), { store: new CaStore([constrained.cert]) });
    expect(result).toMatchObject({ ok: false, code: "EK_CERT_UNKNOWN_CRITICAL_EXTENSION" });
    if (!result.ok) expect(result.reason).toContain('"CN=Constrained EK CA"');
  });

  it("refuses an issuer without the CA flag, and names it", async () => {
    const notCa = await makeCa("CN=Not A CA", other, {
      basicConstraints: new x509.BasicConstraintsExtension(false, undefined, true),
    });
    const result = verifyEkCertificate(await ekCert(notCa), { store: new CaStore([notCa.cert]) });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_ISSUER_NOT_CA" });
    if (!result.ok)
      expect(result.reason).toMatch(/"CN=Not A CA".* is not a CA certificate \(basicConstraints CA:FALSE\)/);
  });

  it("refuses an issuer without basicConstraints", async () => {
    const bare = await makeCa("CN=Bare Issuer", other, { basicConstraints: null });
    const result = verifyEkCertificate(await ekCert(bare), { store: new CaStore([bare.cert]) });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_ISSUER_NOT_CA" });
    if (!result.ok) expect(result.reason).toContain("no basicConstraints");
  });

  it("refuses an issuer whose key usage lacks keyCertSign", async () => {
    const crlOnly = await makeCa("CN=CRL Signer", other, { keyUsage: KU.cRLSign });
    const result = verifyEkCertificate(await ekCert(crlOnly), { store: new CaStore([crlOnly.cert]) });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_ISSUER_NOT_CA" });
    if (!result.ok) expect(result.reason).toContain("keyCertSign");
  });

  it("refuses a cert expired at the `at` time, saying both dates and the time checked", async () => {
    const leaf = await ekCert(rsaCa, {
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    const result = verifyEkCertificate(leaf, {
      store,
      at: new Date("2022-03-04T05:06:07Z"),
      caValidity: "ignore",
    });
    expect(result).toMatchObject({ ok: false, code: "EK_CERT_EXPIRED" });
    if (!result.ok) {
      for (const text of [
        "2020-01-01T00:00:00Z",
        "2021-01-01T00:00:00Z",
        "2022-03-04T05:06:07Z",
        leaf.serial,
      ])
        expect(result.reason).toContain(text);
    }
  });

  it("refuses a cert not yet valid at the `at` time", async () => {
    const leaf = await ekCert(rsaCa, { notBefore: new Date(Date.now() + 30 * DAY) });
    const result = verifyEkCertificate(leaf, { store });
    expect(result).toMatchObject({ ok: false, code: "EK_CERT_NOT_YET_VALID" });
  });

  it("refuses an AK certificate (EKU 2.23.133.8.3)", async () => {
    const result = verifyEkCertificate(
      await ekCert(rsaCa, { eku: [EKU_AK], keyUsage: KU.digitalSignature }),
      {
        store,
      },
    );
    expect(result).toMatchObject({ ok: false, code: "EK_CERT_NOT_EK" });
    if (!result.ok) expect(result.reason).toContain("2.23.133.8.3");
  });

  it("refuses a CA certificate presented as an EK certificate", async () => {
    const result = verifyEkCertificate(rsaCa.cert, { store });
    expect(result).toMatchObject({ ok: false, code: "EK_CERT_NOT_EK" });
    if (!result.ok) expect(result.reason).toContain("CA:TRUE");
  });

  it("refuses an RSA EK whose key usage lacks keyEncipherment, and an ECC EK whose lacks keyAgreement", async () => {
    const rsa = verifyEkCertificate(await ekCert(rsaCa, { keyUsage: KU.digitalSignature }), { store });
    expect(rsa).toMatchObject({ ok: false, code: "EK_CERT_NOT_EK" });
    if (!rsa.ok) expect(rsa.reason).toContain("keyEncipherment");
    const ecc = verifyEkCertificate(await ekCert(eccCa, { ek: ekEcc, keyUsage: KU.keyEncipherment }), {
      store,
    });
    expect(ecc).toMatchObject({ ok: false, code: "EK_CERT_NOT_EK" });
    if (!ecc.ok) expect(ecc.reason).toContain("keyAgreement");
  });

  it("accepts an EK certificate with neither key usage nor EKU (both are optional)", async () => {
    const result = verifyEkCertificate(await ekCert(rsaCa, { keyUsage: null, eku: null }), { store });
    expect(result.ok, result.ok ? "" : result.reason).toBe(true);
  });

  it("refuses garbage, truncated and empty input without throwing", async () => {
    const whole = der(await makeEk(rsaCa));
    for (const input of [randomBytes(300), whole.subarray(0, 200), new Uint8Array(0)]) {
      const result = verifyEkCertificate(new Uint8Array(input), { store });
      expect(result).toMatchObject({ ok: false, code: "EK_CERT_MALFORMED" });
      if (!result.ok) expect(result.reason).toMatch(/^EK certificate could not be read: ./);
    }
  });

  it("refuses a path that ends at a given intermediate the store does not hold", async () => {
    const result = verifyEkCertificate(await ekCert(rsaCa), {
      store: new CaStore([eccCa.cert], "./cas"),
      intermediates: [rsaCa.cert, root.cert],
    });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_UNTRUSTED" });
    if (!result.ok) {
      expect(result.reason).toContain("does not chain to a trusted manufacturer CA");
      expect(result.reason).toContain("given intermediate");
      expect(result.reason).toContain("(1 cert loaded from ./cas)");
    }
  });

  it("says which issuer it looked for when the store has none", async () => {
    const result = verifyEkCertificate(await ekCert(rsaCa), {
      store: new CaStore([eccCa.cert], "./cas"),
      label: "EK certificate at NV 0x01C00002",
    });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_UNTRUSTED" });
    if (!result.ok) {
      expect(result.reason).toMatch(/^EK certificate at NV 0x01C00002 \(serial [0-9a-f:]+\) does not chain/);
      expect(result.reason).toContain(`issuer "${rsaCa.cert.subject.text}"`);
      expect(result.reason).toContain("not found in the CA store (1 cert loaded from ./cas)");
    }
  });

  it("refuses a path longer than maxDepth", async () => {
    const result = verifyEkCertificate(await ekCert(rsaCa), {
      store: new CaStore([root.cert]),
      intermediates: [rsaCa.cert],
      maxDepth: 1,
    });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_TOO_LONG" });
  });

  it("refuses a loop of CAs that issued each other", async () => {
    // X is issued by Y and Y by X: a first, self-signed Y lends its name and key to sign X.
    const firstY = await makeCa("CN=Loop Y", ekRsa);
    const x = await makeCa("CN=Loop X", other, { issuer: firstY });
    const y = await makeCa("CN=Loop Y", ekRsa, { issuer: x });
    const result = verifyEkCertificate(await ekCert(x), {
      store: new CaStore([root.cert]),
      intermediates: [x.cert, y.cert],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe("EK_CHAIN_TOO_LONG");
  });

  it("gives up quickly on many given intermediates that all issued each other", async () => {
    // 20 self-signed certs with one name and one key: each verifies as the issuer of every
    // other, so the paths through them number in the millions.
    const mesh = await Promise.all(Array.from({ length: 20 }, () => makeCa("CN=Mesh", ekEcc)));
    const started = Date.now();
    const result = verifyEkCertificate(await ekCert(mesh[0] as TestCa), {
      store: new CaStore([root.cert]),
      intermediates: mesh.map((m) => m.cert),
    });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_TOO_LONG" });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("refuses a path that breaks a CA's pathLen constraint", async () => {
    const tight = await makeCa("CN=Tight Root", other, {
      basicConstraints: new x509.BasicConstraintsExtension(true, 0, true),
    });
    const sub = await makeCa("CN=Sub CA", ekRsa, { issuer: tight });
    const result = verifyEkCertificate(await ekCert(sub), {
      store: new CaStore([tight.cert]),
      intermediates: [sub.cert],
    });
    expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_TOO_LONG" });
    if (!result.ok) expect(result.reason).toContain("pathLen");
  });
});

describe("verifyIssuedBy and chainSubjects", () => {
  it("checks one link: name, key identifier, signature, CA flag", async () => {
    expect(verifyIssuedBy(rsaCa.cert, root.cert)).toEqual({ ok: true });
    expect(verifyIssuedBy(root.cert, root.cert)).toEqual({ ok: true });
    expect(verifyIssuedBy(rsaCa.cert, lookAlike.cert).ok).toBe(false);
    expect(verifyIssuedBy(rsaCa.cert, eccCa.cert).ok).toBe(false);
    expect(verifyIssuedBy(root.cert, rsaCa.cert).ok).toBe(false);
  });

  it("checks the issuer's validity only when given a time", async () => {
    const past = new Date(Date.now() - 365 * DAY);
    expect(verifyIssuedBy(rsaCa.cert, root.cert, past)).toMatchObject({
      ok: false,
      code: "EK_CHAIN_CA_EXPIRED",
    });
    expect(verifyIssuedBy(rsaCa.cert, root.cert, new Date()).ok).toBe(true);
  });

  it("lists the subjects leaf to anchor, with the leaf's serial for its empty subject", async () => {
    const leaf = await ekCert(rsaCa);
    const result = verifyEkCertificate(leaf, { store });
    if (!result.ok) throw new Error(result.reason);
    expect(chainSubjects(result.chain)).toEqual([
      `(empty subject, serial ${leaf.serial})`,
      rsaCa.x.subject,
      root.x.subject,
    ]);
  });
});
