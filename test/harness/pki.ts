// The test manufacturer CAs of one test file (DESIGN §9), made fresh each time so that no key
// is ever checked in:
//   vendor A  RSA root ─┬─ RSA intermediate  (signs RSA EK certs)
//                       └─ ECC P-384 intermediate (signs ECC EK certs)
//   vendor B  ECC P-256 root, signs EK certs of both kinds directly (like Nuvoton's 2111 root)
//   rogue     RSA root whose subject is byte-for-byte vendor A's root subject, with its own key:
//             a verifier that matches issuers by name only would be fooled by it.
// trustedCaDir holds what a verifier should trust (vendor A's three certs, vendor B's root),
// never the rogue root.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

// Node's WebCrypto; @peculiar/x509 would otherwise look for a browser-style global.
x509.cryptoProvider.set(webcrypto);

type CryptoKey = webcrypto.CryptoKey;
type SigningAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaHashedImportParams;

export type CaKeyAlg = "rsa2048" | "ecc-p256" | "ecc-p384";

export interface TestCa {
  /** File-name friendly label, e.g. "vendor-a-rsa-intermediate". */
  readonly label: string;
  /** Subject DN as text (RFC 4514 style). */
  readonly subject: string;
  readonly cert: x509.X509Certificate;
  readonly certDer: Uint8Array;
  readonly certPem: string;
  readonly certPemPath: string;
  readonly certDerPath: string;
  readonly keyAlg: CaKeyAlg;
  readonly privateKey: CryptoKey;
  /** PKCS#8 PEM of privateKey (mode 0600). */
  readonly keyPath: string;
  /** What this CA signs with: RSASSA-PKCS1-v1_5/SHA-256, or ECDSA with the curve's hash. */
  readonly signingAlgorithm: SigningAlgorithm;
  /** Subject Key Identifier, hex; issued certs carry it as their Authority Key Identifier. */
  readonly skiHex: string;
}

export interface TestPki {
  readonly dir: string;
  readonly vendorA: {
    readonly root: TestCa;
    readonly rsaIntermediate: TestCa;
    readonly eccIntermediate: TestCa;
  };
  readonly vendorB: { readonly root: TestCa };
  readonly rogue: { readonly root: TestCa };
  /** PEM files of the trusted CAs only (for --ca-dir). */
  readonly trustedCaDir: string;
  /** The same certificates in one PEM file, outside trustedCaDir (for `openssl verify -CAfile`). */
  readonly trustedBundle: string;
  /** All CAs, in the order above. */
  readonly all: readonly TestCa[];
}

const KEY_PARAMS: Record<
  CaKeyAlg,
  { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: SigningAlgorithm }
> = {
  rsa2048: {
    gen: {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    sign: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  },
  "ecc-p256": { gen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
  "ecc-p384": { gen: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" } },
};

/** `date` moved by whole calendar years (UTC), so validities read as round numbers. */
export function addYears(date: Date, years: number): Date {
  const d = new Date(date);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

interface CaSpec {
  label: string;
  subject: string | x509.Name;
  keyAlg: CaKeyAlg;
  /** Absent for a root (self-signed). */
  issuer?: TestCa;
}

async function makeCa(dir: string, spec: CaSpec): Promise<TestCa> {
  const { gen, sign } = KEY_PARAMS[spec.keyAlg];
  const keys = (await webcrypto.subtle.generateKey(gen, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, spec.issuer ? 0 : undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ski,
  ];
  if (spec.issuer) extensions.push(new x509.AuthorityKeyIdentifierExtension(spec.issuer.skiHex));
  const notBefore = new Date(Date.now() - 2 * 86_400_000); // tolerate clock skew between hosts
  const cert = await x509.X509CertificateGenerator.create({
    subject: spec.subject,
    // The issuer's subject as encoded, not re-parsed from text, so names match byte for byte.
    issuer: spec.issuer ? new x509.Name(spec.issuer.cert.subjectName.toArrayBuffer()) : spec.subject,
    publicKey: keys.publicKey,
    signingKey: spec.issuer?.privateKey ?? keys.privateKey,
    signingAlgorithm: spec.issuer?.signingAlgorithm ?? sign,
    notBefore,
    notAfter: addYears(notBefore, 25),
    extensions,
  });
  const certDer = new Uint8Array(cert.rawData);
  const certPem = cert.toString("pem");
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const certPemPath = join(dir, `${spec.label}.pem`);
  const certDerPath = join(dir, `${spec.label}.der`);
  const keyPath = join(dir, `${spec.label}.key.pem`);
  await Promise.all([
    writeFile(certPemPath, `${certPem}\n`),
    writeFile(certDerPath, certDer),
    writeFile(keyPath, `${x509.PemConverter.encode(pkcs8, "PRIVATE KEY")}\n`, { mode: 0o600 }),
  ]);
  return {
    label: spec.label,
    subject: cert.subject,
    cert,
    certDer,
    certPem,
    certPemPath,
    certDerPath,
    keyAlg: spec.keyAlg,
    privateKey: keys.privateKey,
    keyPath,
    signingAlgorithm: sign,
    skiHex: ski.keyId,
  };
}

/** Create the run's CAs under `dir` (created if missing). Takes a few hundred ms (RSA keygen). */
export async function createTestPki(dir: string): Promise<TestPki> {
  const caDir = join(dir, "cas");
  const trustedCaDir = join(dir, "trusted");
  await mkdir(caDir, { recursive: true });
  await mkdir(trustedCaDir, { recursive: true });

  const [aRoot, bRoot] = await Promise.all([
    makeCa(caDir, {
      label: "vendor-a-root",
      subject: "C=DE, O=Harness Vendor A AG, OU=TPM, CN=Harness Vendor A TPM EK Root CA",
      keyAlg: "rsa2048",
    }),
    makeCa(caDir, {
      label: "vendor-b-root",
      subject: "C=TW, O=Harness Vendor B Corporation, CN=Harness Vendor B TPM Root CA 2111",
      keyAlg: "ecc-p256",
    }),
  ]);
  const [aRsa, aEcc, rogue] = await Promise.all([
    makeCa(caDir, {
      label: "vendor-a-rsa-intermediate",
      subject: "C=DE, O=Harness Vendor A AG, OU=TPM, CN=Harness Vendor A RSA Manufacturing CA 001",
      keyAlg: "rsa2048",
      issuer: aRoot,
    }),
    makeCa(caDir, {
      label: "vendor-a-ecc-intermediate",
      subject: "C=DE, O=Harness Vendor A AG, OU=TPM, CN=Harness Vendor A ECC Manufacturing CA 001",
      keyAlg: "ecc-p384",
      issuer: aRoot,
    }),
    makeCa(caDir, {
      label: "rogue-root",
      subject: new x509.Name(aRoot.cert.subjectName.toArrayBuffer()),
      keyAlg: "rsa2048",
    }),
  ]);

  const trusted = [aRoot, aRsa, aEcc, bRoot];
  await Promise.all(trusted.map((ca) => writeFile(join(trustedCaDir, `${ca.label}.pem`), `${ca.certPem}\n`)));
  const trustedBundle = join(dir, "trusted-bundle.pem");
  await writeFile(trustedBundle, trusted.map((ca) => `${ca.certPem}\n`).join(""));

  return {
    dir,
    vendorA: { root: aRoot, rsaIntermediate: aRsa, eccIntermediate: aEcc },
    vendorB: { root: bRoot },
    rogue: { root: rogue },
    trustedCaDir,
    trustedBundle,
    all: [aRoot, aRsa, aEcc, bRoot, rogue],
  };
}
