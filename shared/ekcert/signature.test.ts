// Certificate signatures: the real chains (each child against every CA of its issuer's name,
// decided by `openssl verify` or `openssl dgst -verify` at test time), every algorithm openssl can sign a certificate with here
// (PKCS#1 v1.5, RSASSA-PSS with its parameter variants, ECDSA), and the Nuvoton case: an issuer
// name in non-DER order that must be verified over the bytes as written.
import { execFile } from "node:child_process";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "./certificate.js";
import { EkCertParseError, UnsupportedAlgorithmError } from "./errors.js";
import { readCertificateInput } from "./input.js";
import { namesEqual } from "./name.js";
import { signatureScheme, verifyCertificateSignature } from "./signature.js";
import type { Certificate } from "./types.js";

const run = promisify(execFile);
const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "ekcert-sig-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const load = (file: string): Certificate =>
  parseCertificate(readCertificateInput(readFileSync(file))[0] as Uint8Array);
const files = (dir: string) =>
  readdirSync(join(SHARED, dir))
    .filter((f) => f.endsWith(".pem"))
    .map((f) => join(SHARED, dir, f));

/** A copy of the certificate with one bit of its DER flipped, re-parsed. */
function flipped(cert: Certificate, offset: number): Certificate {
  const der = Uint8Array.from(cert.der);
  der[offset] = (der[offset] as number) ^ 0x01;
  return parseCertificate(der);
}
const lastByte = (cert: Certificate) => cert.der.length - 1;
/** The last byte of the subject public key: inside the TBS, and changing it keeps the DER valid. */
const tbsByte = (cert: Certificate) =>
  Buffer.from(cert.der).indexOf(Buffer.from(cert.spki)) + cert.spki.length - 1;

describe("real chains: our signature check agrees with openssl", () => {
  const all = [...files("manufacturer-cas"), ...files("ek-samples/cas"), ...files("ek-samples/certs")];
  const certs = new Map(all.map((f) => [f, load(f)]));
  /** Candidate issuers by name, as a path builder would find them. */
  const pairs = [...certs].flatMap(([childFile, child]) =>
    [...certs]
      .filter(([, issuer]) => issuer.basicConstraints?.ca && namesEqual(child.issuer, issuer.subject))
      .map(([issuerFile]) => ({ childFile, issuerFile })),
  );
  const accepted = new Set<string>();

  beforeAll(async () => {
    // One `openssl verify` per issuer, with that issuer as the only trust anchor.
    const byIssuer = new Map<string, string[]>();
    for (const { childFile, issuerFile } of pairs)
      byIssuer.set(issuerFile, [...(byIssuer.get(issuerFile) ?? []), childFile]);
    const refused: { childFile: string; issuerFile: string }[] = [];
    await Promise.all(
      [...byIssuer].map(async ([issuerFile, children]) => {
        const args = ["verify", "-partial_chain", "-no_check_time", "-CAfile", issuerFile, ...children];
        const { stdout } = await run("openssl", args).catch((e: { stdout: string }) => ({
          stdout: e.stdout,
        }));
        const ok = new Set(stdout.split("\n").flatMap((l) => /^(.*): OK$/.exec(l)?.[1] ?? []));
        for (const childFile of children) {
          if (ok.has(childFile)) accepted.add(`${childFile} <- ${issuerFile}`);
          else refused.push({ childFile, issuerFile });
        }
      }),
    );
    // openssl verify also refuses an issuer for other reasons than the signature (Infineon's
    // intermediates name their root's serial 03 in the AKI; the root file here has another
    // serial for the same key). For those, ask openssl about the signature alone.
    const HASH: Record<string, string> = {
      "1.2.840.113549.1.1.5": "sha1",
      "1.2.840.113549.1.1.11": "sha256",
      "1.2.840.113549.1.1.12": "sha384",
      "1.2.840.10045.4.3.2": "sha256",
      "1.2.840.10045.4.3.3": "sha384",
    };
    const script = refused
      .map(({ childFile, issuerFile }, i) => {
        const hash = HASH[(certs.get(childFile) as Certificate).signatureAlgorithm.oid] ?? "unknown";
        return [
          `openssl x509 -in "${issuerFile}" -pubkey -noout > p${i}.pem`,
          `openssl asn1parse -in "${childFile}" -strparse 4 -noout -out t${i}.der`,
          `off=$(openssl asn1parse -in "${childFile}" | grep "d=1" | tail -1 | cut -d: -f1 | tr -d " ")`,
          `openssl asn1parse -in "${childFile}" -strparse $off -noout -out s${i}.bin`,
          `echo "${i}: $(openssl dgst -${hash} -verify p${i}.pem -signature s${i}.bin t${i}.der 2>&1 | head -1)"`,
        ].join("; ");
      })
      .join("\n");
    const { stdout } = await run("bash", ["-c", script], { cwd: tmp });
    refused.forEach(({ childFile, issuerFile }, i) => {
      if (stdout.includes(`${i}: Verified OK`)) accepted.add(`${childFile} <- ${issuerFile}`);
    });
  });

  it("finds the issuers of the 8 EK certs and of the CA certificates among the files", () => {
    expect(pairs.length).toBeGreaterThan(60);
  });

  it.each(
    pairs.map(
      (p) => [`${p.childFile.slice(SHARED.length)} <- ${p.issuerFile.slice(SHARED.length)}`, p] as const,
    ),
  )("%s", (_name, { childFile, issuerFile }) => {
    const child = certs.get(childFile) as Certificate;
    const issuer = certs.get(issuerFile) as Certificate;
    expect(verifyCertificateSignature(child, issuer.publicKey)).toBe(
      accepted.has(`${childFile} <- ${issuerFile}`),
    );
  });

  it("every EK sample verifies under its issuer, and not once a bit of its signature or TBS is flipped", () => {
    for (const file of files("ek-samples/certs")) {
      const leaf = certs.get(file) as Certificate;
      const issuer = pairs.find((p) => p.childFile === file && accepted.has(`${file} <- ${p.issuerFile}`));
      expect(issuer, file).toBeDefined();
      const key = (certs.get(issuer?.issuerFile as string) as Certificate).publicKey;
      expect(verifyCertificateSignature(leaf, key)).toBe(true);
      expect(verifyCertificateSignature(flipped(leaf, lastByte(leaf)), key)).toBe(false);
      expect(verifyCertificateSignature(flipped(leaf, tbsByte(leaf)), key)).toBe(false);
    }
  });

  it("answers false for a key of the wrong kind (an RSA signature and an EC key, and the reverse)", () => {
    const rsaSigned = load(join(SHARED, "ek-samples/certs/ifx_rsa_optiga_ca035_keylime.pem"));
    const ecSigned = load(join(SHARED, "ek-samples/certs/ifx_ecc_optiga_ca035_keylime.pem"));
    expect(verifyCertificateSignature(rsaSigned, ecSigned.publicKey)).toBe(false);
    expect(verifyCertificateSignature(ecSigned, rsaSigned.publicKey)).toBe(false);
  });

  it("names the OID of a signature algorithm it does not support", () => {
    // ecdsa-with-SHA256 (…04 03 02) turned into ecdsa-with-SHA224 (…04 03 01), inside and outside the TBS.
    const der = Buffer.from(load(join(SHARED, "ek-samples/certs/stm_ecc_ca01_keylime.pem")).der);
    const from = Buffer.from("06082a8648ce3d040302", "hex");
    const to = Buffer.from("06082a8648ce3d040301", "hex");
    for (let at = der.indexOf(from); at >= 0; at = der.indexOf(from, at + 1)) to.copy(der, at);
    const cert = parseCertificate(der);
    expect(() => verifyCertificateSignature(cert, cert.publicKey)).toThrow(UnsupportedAlgorithmError);
    expect(() => verifyCertificateSignature(cert, cert.publicKey)).toThrow(
      /1\.2\.840\.10045\.4\.3\.1 is not supported/,
    );
  });
});

describe("algorithms openssl signs with", () => {
  interface Made {
    name: string;
    cert: Certificate;
    text: string;
  }
  const made: Made[] = [];
  const variants: [name: string, key: string, args: string][] = [
    ["sha1WithRSAEncryption", "rsa", "-sha1"],
    ["sha384WithRSAEncryption", "rsa", "-sha384"],
    ["sha512WithRSAEncryption", "rsa", "-sha512"],
    [
      "RSASSA-PSS, all defaults (SHA-1, MGF1-SHA-1, salt 20)",
      "rsa",
      "-sha1 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:20",
    ],
    [
      "RSASSA-PSS SHA-256, MGF1-SHA-256, salt 32",
      "rsa",
      "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32",
    ],
    [
      "RSASSA-PSS SHA-256, MGF1-SHA-1, salt 20",
      "rsa",
      "-sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_mgf1_md:sha1 -sigopt rsa_pss_saltlen:20",
    ],
    [
      "RSASSA-PSS SHA-512, MGF1-SHA-256, salt 0",
      "rsa",
      "-sha512 -sigopt rsa_padding_mode:pss -sigopt rsa_mgf1_md:sha256 -sigopt rsa_pss_saltlen:0",
    ],
    [
      "RSASSA-PSS SHA-384, MGF1-SHA-384, salt 48",
      "rsa",
      "-sha384 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:48",
    ],
    ["ecdsa-with-SHA1 on P-256", "p256", "-sha1"],
    ["ecdsa-with-SHA384 on P-384", "p384", "-sha384"],
    ["ecdsa-with-SHA512 on P-521", "p521", "-sha512"],
  ];

  beforeAll(async () => {
    const keys: Record<string, KeyObject> = {
      rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
      p256: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
      p384: generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey,
      p521: generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey,
    };
    for (const [name, key] of Object.entries(keys))
      writeFileSync(join(tmp, `${name}.key`), key.export({ type: "pkcs8", format: "pem" }));
    const script = variants
      .map(
        ([, key, args], i) =>
          `openssl req -x509 -new -key ${key}.key -subj /CN=v${i} -days 1 ${args} -out v${i}.pem && openssl x509 -in v${i}.pem -noout -text -certopt no_sigdump,no_pubkey,no_extensions > v${i}.txt`,
      )
      .join(" && ");
    await run("bash", ["-c", script], { cwd: tmp });
    variants.forEach(([name], i) => {
      made.push({
        name,
        cert: load(join(tmp, `v${i}.pem`)),
        text: readFileSync(join(tmp, `v${i}.txt`), "utf8"),
      });
    });
  });

  it.each(variants.map(([name], i) => [name, i] as const))(
    "%s: verifies, and fails with a flipped bit",
    (_name, i) => {
      const { cert } = made[i] as Made;
      expect(verifyCertificateSignature(cert, cert.publicKey)).toBe(true);
      expect(verifyCertificateSignature(flipped(cert, lastByte(cert)), cert.publicKey)).toBe(false);
      expect(verifyCertificateSignature(flipped(cert, tbsByte(cert)), cert.publicKey)).toBe(false);
    },
  );

  it("reads the RSASSA-PSS parameters as openssl prints them, defaults included", () => {
    for (const { cert, text } of made.filter((m) => m.name.startsWith("RSASSA-PSS"))) {
      const hash = /Hash Algorithm: (\w+)/.exec(text)?.[1];
      const mgf1Hash = /Mask Algorithm: mgf1 with (\w+)/.exec(text)?.[1];
      const salt = Number.parseInt(/Salt Length: 0x([0-9A-Fa-f]+)/.exec(text)?.[1] ?? "", 16);
      expect(signatureScheme(cert.signatureAlgorithm)).toEqual({
        kind: "rsa-pss",
        hash,
        mgf1Hash,
        saltLength: salt,
      });
    }
  });

  it("refuses malformed RSASSA-PSS parameters with a parse error", () => {
    const oid = "1.2.840.113549.1.1.10";
    for (const params of [
      "3003020114",
      "3005a2030101ff",
      "3005a303020102",
      "3007a00530030601 00".replace(" ", ""),
    ]) {
      expect(() => signatureScheme({ oid, params: Buffer.from(params, "hex") })).toThrow(EkCertParseError);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Nuvoton: the issuer name in the EK cert is one RDN whose SET is not in DER order.

function tlv(id: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Uint8Array.of(id, ...len), body]);
}
const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
const set = (...p: Uint8Array[]) => tlv(0x31, ...p);
const hex = (h: string) => Buffer.from(h, "hex");
const ava = (oidHex: string, tag: number, value: string) =>
  seq(tlv(0x06, hex(oidHex)), tlv(tag, Buffer.from(value)));
const CN = ava("550403", 0x13, "Nuvoton TPM Root CA 2111");
const O = ava("55040a", 0x13, "Nuvoton Technology Corporation");
const C = ava("550406", 0x13, "TW");
const ECDSA_SHA384 = seq(tlv(0x06, hex("2a8648ce3d040303")));
const validity = seq(tlv(0x17, Buffer.from("211107064251Z")), tlv(0x17, Buffer.from("411103064251Z")));
const v3 = tlv(0xa0, tlv(0x02, Uint8Array.of(2)));

function certificate(tbs: Uint8Array, key: KeyObject): Uint8Array {
  return seq(tbs, ECDSA_SHA384, tlv(0x03, Uint8Array.of(0), sign("sha384", tbs, key)));
}

describe("a Nuvoton-style issuer name in non-DER order", () => {
  const issuerKeys = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const leafKeys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  // DER sorts a SET OF by the encodings of its elements (X.690 §11.6): C, CN, O here.
  const derOrder = [CN, O, C].sort(Buffer.compare);
  const issuerSubject = seq(set(...derOrder));
  const issuerTbs = seq(
    v3,
    tlv(0x02, Uint8Array.of(1)),
    ECDSA_SHA384,
    issuerSubject,
    validity,
    issuerSubject,
    new Uint8Array(issuerKeys.publicKey.export({ type: "spki", format: "der" })),
    tlv(
      0xa3,
      seq(
        seq(
          tlv(0x06, hex("551d13")),
          tlv(0x01, Uint8Array.of(0xff)),
          tlv(0x04, seq(tlv(0x01, Uint8Array.of(0xff)))),
        ),
      ),
    ),
  );
  const nuvotonIssuer = seq(set(CN, O, C)); // as in the real EK certs: CN, O, C
  const leafTbs = (issuer: Uint8Array) =>
    seq(
      v3,
      tlv(0x02, hex("00f8006ffa8aaca22623cd")),
      ECDSA_SHA384,
      issuer,
      validity,
      seq(),
      new Uint8Array(leafKeys.publicKey.export({ type: "spki", format: "der" })),
    );
  const issuerDer = certificate(issuerTbs, issuerKeys.privateKey);
  const leafDer = certificate(leafTbs(nuvotonIssuer), issuerKeys.privateKey);
  const issuer = parseCertificate(issuerDer);
  const leaf = parseCertificate(leafDer);

  it("builds the two names differently: not byte-equal", () => {
    expect(Buffer.from(leaf.issuer.der).equals(Buffer.from(issuer.subject.der))).toBe(false);
    expect(leaf.issuer.text).toBe("CN=Nuvoton TPM Root CA 2111 + O=Nuvoton Technology Corporation + C=TW");
    expect(issuer.subject.text).toBe("C=TW + CN=Nuvoton TPM Root CA 2111 + O=Nuvoton Technology Corporation");
  });

  it("matches the issuer's subject as RFC 5280 §7.1 says", () => {
    expect(namesEqual(leaf.issuer, issuer.subject)).toBe(true);
  });

  it("verifies over the TBS as written", () => {
    expect(verifyCertificateSignature(leaf, issuer.publicKey)).toBe(true);
  });

  it("is a valid chain for openssl too", async () => {
    const pem = (der: Uint8Array) =>
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`;
    writeFileSync(join(tmp, "nuvoton-issuer.pem"), pem(issuerDer));
    writeFileSync(join(tmp, "nuvoton-leaf.pem"), pem(leafDer));
    const { stdout } = await run(
      "openssl",
      ["verify", "-partial_chain", "-CAfile", "nuvoton-issuer.pem", "nuvoton-leaf.pem"],
      {
        cwd: tmp,
      },
    );
    expect(stdout.trim()).toBe("nuvoton-leaf.pem: OK");
  });

  it("fails once the issuer name is re-encoded in DER order: why the original bytes are kept", () => {
    const reencoded = Buffer.from(leafDer);
    Buffer.from(seq(set(...derOrder))).copy(reencoded, reencoded.indexOf(Buffer.from(nuvotonIssuer)));
    const cert = parseCertificate(reencoded);
    expect(namesEqual(cert.issuer, leaf.issuer)).toBe(true);
    expect(verifyCertificateSignature(cert, issuer.publicKey)).toBe(false);
  });
});
