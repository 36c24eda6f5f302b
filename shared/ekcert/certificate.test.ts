// parseCertificate against openssl on every real certificate we have (8 EK certs, 66 CA files),
// on hand-built certificates for the quirks the real ones do not show, and on hostile input.
// Expected values come from `openssl x509 -text`, run at test time, never from our own code.
import { execFile } from "node:child_process";
import {
  constants,
  createHash,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  sign,
} from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalSpki, MAX_CERTIFICATE_BYTES, parseCertificate, parsePublicKeyInfo } from "./certificate.js";
import { ekPubSha256 } from "./ek-pub-hash.js";
import { EkCertParseError } from "./errors.js";
import { readCertificateInput } from "./input.js";
import { verifyCertificateSignature } from "./signature.js";
import type { Certificate, KeyUsage, Name } from "./types.js";

const run = promisify(execFile);
const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const pemFiles = (dir: string) =>
  readdirSync(join(SHARED, dir))
    .filter((f) => f.endsWith(".pem"))
    .map((f) => join(SHARED, dir, f));
const EK_FILES = pemFiles("ek-samples/certs");
const CA_FILES = [...pemFiles("manufacturer-cas"), ...pemFiles("ek-samples/cas")];
const label = (file: string) => file.slice(SHARED.length);
const derOf = (file: string) => readCertificateInput(readFileSync(file))[0] as Uint8Array;

// ---------------------------------------------------------------------------------------------
// openssl's view of a certificate: one `openssl x509 -text` run per file, all in parallel.

interface OpensslExtension {
  critical: boolean;
  lines: string[];
}

interface OpensslView {
  serial: string;
  notBefore: string;
  notAfter: string;
  subject2253: string;
  issuer2253: string;
  signatureAlgorithm: string;
  publicKeyAlgorithm: string;
  keyBits: number;
  curve?: string;
  extensions: Map<string, OpensslExtension>;
}

async function opensslView(file: string): Promise<OpensslView> {
  const { stdout } = await run("openssl", [
    "x509",
    "-in",
    file,
    "-noout",
    "-text",
    "-certopt",
    "no_sigdump",
    "-nameopt",
    "RFC2253",
    "-dates",
    "-dateopt",
    "iso_8601",
    "-serial",
    "-subject",
    "-issuer",
  ]);
  const lines = stdout.split("\n");
  const field = (re: RegExp) => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m[1] as string;
    }
    throw new Error(`${file}: openssl output has no ${re}`);
  };
  // Extensions: a header at 12 spaces, its value on the following lines, up to the next header.
  // (Subject Directory Attributes is dumped raw, on lines that may start anywhere.)
  const extensions = new Map<string, OpensslExtension>();
  const start = lines.findIndex((l) => l.trim() === "X509v3 extensions:");
  if (start >= 0) {
    let current: OpensslExtension | undefined;
    for (const l of lines.slice(start + 1)) {
      if (/^ {4}Signature Algorithm:|^notBefore=/.test(l)) break;
      const header = /^ {12}(\S.*?):\s*(critical)?\s*$/.exec(l);
      if (header) {
        current = { critical: header[2] === "critical", lines: [] };
        extensions.set((header[1] as string).replace(/^X509v3 /, ""), current);
      } else current?.lines.push(l.trim());
    }
  }
  const curve = lines.map((l) => /NIST CURVE: (\S+)/.exec(l)?.[1]).find((c) => c !== undefined);
  return {
    serial: field(/^serial=(.*)$/),
    notBefore: field(/^notBefore=(.*)$/),
    notAfter: field(/^notAfter=(.*)$/),
    subject2253: field(/^subject=(.*)$/),
    issuer2253: field(/^issuer=(.*)$/),
    signatureAlgorithm: field(/^ {8}Signature Algorithm: (.*)$/),
    publicKeyAlgorithm: field(/Public Key Algorithm: (.*)$/),
    keyBits: Number(field(/Public-Key: \((\d+) bit\)/)),
    ...(curve ? { curve } : {}),
    extensions,
  };
}

async function opensslViews(files: string[]): Promise<Map<string, OpensslView>> {
  const out = new Map<string, OpensslView>();
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) out.set(f, await opensslView(f));
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

// openssl's names for things, as printed by `openssl x509 -text` (its obj_dat.h), to OIDs.
const OPENSSL_ALGORITHMS: Record<string, string> = {
  sha1WithRSAEncryption: "1.2.840.113549.1.1.5",
  sha256WithRSAEncryption: "1.2.840.113549.1.1.11",
  sha384WithRSAEncryption: "1.2.840.113549.1.1.12",
  sha512WithRSAEncryption: "1.2.840.113549.1.1.13",
  "ecdsa-with-SHA256": "1.2.840.10045.4.3.2",
  "ecdsa-with-SHA384": "1.2.840.10045.4.3.3",
};
const OPENSSL_EXTENSIONS: Record<string, string> = {
  "Subject Directory Attributes": "2.5.29.9",
  "Subject Key Identifier": "2.5.29.14",
  "Key Usage": "2.5.29.15",
  "Subject Alternative Name": "2.5.29.17",
  "Basic Constraints": "2.5.29.19",
  "CRL Distribution Points": "2.5.29.31",
  "Certificate Policies": "2.5.29.32",
  "Authority Key Identifier": "2.5.29.35",
  "Extended Key Usage": "2.5.29.37",
  "Authority Information Access": "1.3.6.1.5.5.7.1.1",
};
const OPENSSL_KEY_USAGE: Record<string, KeyUsage> = {
  "Digital Signature": "digitalSignature",
  "Non Repudiation": "nonRepudiation",
  "Key Encipherment": "keyEncipherment",
  "Data Encipherment": "dataEncipherment",
  "Key Agreement": "keyAgreement",
  "Certificate Sign": "keyCertSign",
  "CRL Sign": "cRLSign",
  "Encipher Only": "encipherOnly",
  "Decipher Only": "decipherOnly",
};
const OPENSSL_ATTRIBUTES: Record<string, string> = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
  serialNumber: "2.5.4.5",
  emailAddress: "1.2.840.113549.1.9.1",
};

/** Splits at `sep` where it is not escaped with a backslash. */
function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const ch = s[i] as string;
    if (ch === "\\") {
      cur += s.slice(i, i + 2);
      i++;
    } else if (ch === sep) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** An RFC 2253 line (reversed RDNs, reversed AVAs) as [type OID, escaped value] in encoded order. */
function rdnsFrom2253(line: string): [string, string][][] {
  if (line === "") return [];
  return splitUnescaped(line, ",")
    .reverse()
    .map((rdn) =>
      splitUnescaped(rdn, "+")
        .reverse()
        .map((ava) => {
          const eq = ava.indexOf("=");
          const type = ava.slice(0, eq);
          return [OPENSSL_ATTRIBUTES[type] ?? type, ava.slice(eq + 1)];
        }),
    );
}

const unescape2253 = (v: string) => v.replace(/\\(.)/g, "$1");
const SHORT: Record<string, string> = Object.fromEntries(
  Object.entries(OPENSSL_ATTRIBUTES).map(([k, v]) => [v, k]),
);

function expectNameMatches(ours: Name, line2253: string): void {
  const theirs = rdnsFrom2253(line2253);
  // Semantically: the same attributes in the same RDNs, RDN order as encoded, a set within an RDN.
  const sortedOurs = ours.rdns.map((rdn) => rdn.map((a) => `${a.type}=${a.value}`).sort());
  const sortedTheirs = theirs.map((rdn) => rdn.map(([t, v]) => `${t}=${unescape2253(v)}`).sort());
  expect(sortedOurs).toEqual(sortedTheirs);
  // And our text is openssl's RFC 2253 text put back in encoded order, escapes and all.
  const text = theirs.map((rdn) => rdn.map(([t, v]) => `${SHORT[t] ?? t}=${v}`).join(" + ")).join(", ");
  expect(ours.text).toBe(text);
}

function expectMatchesOpenssl(cert: Certificate, o: OpensslView): void {
  expect(cert.serial.replace(/:/g, "").toUpperCase()).toBe(o.serial);
  expect(cert.notBefore.toISOString()).toBe(new Date(o.notBefore.replace(" ", "T")).toISOString());
  expect(cert.notAfter.toISOString()).toBe(new Date(o.notAfter.replace(" ", "T")).toISOString());
  expectNameMatches(cert.subject, o.subject2253);
  expectNameMatches(cert.issuer, o.issuer2253);
  expect(cert.signatureAlgorithm.oid).toBe(OPENSSL_ALGORITHMS[o.signatureAlgorithm]);
  expect(cert.keyType).toBe(o.publicKeyAlgorithm === "rsaEncryption" ? "rsa" : "ec");
  expect(cert.keyBits).toBe(o.keyBits);
  expect(cert.curve).toBe(o.curve);

  // The same extensions, with the same criticality.
  const theirs = [...o.extensions].map(
    ([name, e]) => `${OPENSSL_EXTENSIONS[name] ?? name}${e.critical ? "!" : ""}`,
  );
  expect(cert.extensions.map((e) => `${e.oid}${e.critical ? "!" : ""}`).sort()).toEqual(theirs.sort());

  const bc = o.extensions.get("Basic Constraints")?.lines[0];
  if (bc === undefined) expect(cert.basicConstraints).toBeUndefined();
  else {
    const pathLen = /pathlen:(\d+)/.exec(bc)?.[1];
    expect(cert.basicConstraints).toEqual({
      ca: bc.startsWith("CA:TRUE"),
      ...(pathLen === undefined ? {} : { pathLen: Number(pathLen) }),
    });
  }
  const ku = o.extensions.get("Key Usage")?.lines[0];
  expect(cert.keyUsage && [...cert.keyUsage].sort()).toEqual(
    ku
      ?.split(", ")
      .map((w) => OPENSSL_KEY_USAGE[w] ?? w)
      .sort(),
  );
  const eku = o.extensions.get("Extended Key Usage")?.lines[0];
  expect(cert.extKeyUsage).toEqual(eku?.split(", "));
  const hexId = (b: Uint8Array | undefined) =>
    b && Buffer.from(b).toString("hex").toUpperCase().match(/../g)?.join(":");
  expect(hexId(cert.subjectKeyId)).toBe(o.extensions.get("Subject Key Identifier")?.lines[0]);
  const aki = o.extensions
    .get("Authority Key Identifier")
    ?.lines.find((l) => /^(keyid:)?[0-9A-F]{2}(:|$)/.test(l));
  expect(hexId(cert.authorityKeyId)).toBe(aki?.replace(/^keyid:/, ""));

  // The TPM attributes openssl prints from the SAN's directoryName.
  const san = o.extensions.get("Subject Alternative Name")?.lines.join(" ");
  if (san === undefined) expect(cert.tpm).toBeUndefined();
  else {
    const attr = (n: number) => new RegExp(`2\\.23\\.133\\.2\\.${n}=([^/+]*)`).exec(san)?.[1];
    expect(cert.tpm).toMatchObject({ manufacturer: attr(1), model: attr(2), version: attr(3) });
  }
}

describe("the 8 real EK certificates", () => {
  let openssl: Map<string, OpensslView>;
  beforeAll(async () => {
    openssl = await opensslViews(EK_FILES);
  });

  // What each holds, read by us, in the test names; the tests compare it with openssl.
  const samples = EK_FILES.map((file) => {
    const cert = parseCertificate(derOf(file));
    const key = cert.keyType === "rsa" ? `RSA-${cert.keyBits}` : cert.curve;
    const tpm = cert.tpm;
    return [
      `${label(file)}: ${tpm?.manufacturerCode ?? tpm?.manufacturer} ${tpm?.model} ${tpm?.version}, ${key}`,
      file,
      cert,
    ] as const;
  });

  it.each(samples)("%s", (_name, file, cert) => {
    expectMatchesOpenssl(cert, openssl.get(file) as OpensslView);
  });

  it("reads the TPM vendor codes the manufacturer ids spell", () => {
    const codes = samples.map(
      ([, file, cert]) => `${label(file).split("/").pop()}=${cert.tpm?.manufacturerCode}`,
    );
    expect(codes).toEqual([
      "ifx_ecc_optiga_ca035_keylime.pem=IFX",
      "ifx_rsa_optiga_ca035_keylime.pem=IFX",
      "intc_rsa_ptt_spth_gotpmkit.pem=INTC",
      "ntc_rsa_root2111_spire.pem=NTC",
      "stm_ecc_ca01_keylime.pem=STM",
      "stm_rsa_ca05_keylime.pem=STM",
      "swtpm_ecc384_ek_salrashid.pem=undefined",
      "swtpm_rsa2048_ek_salrashid.pem=undefined",
    ]);
  });

  it("keeps der, tbs and spki as the original bytes", () => {
    for (const [, file, cert] of samples) {
      const der = derOf(file);
      expect(Buffer.from(cert.der).equals(Buffer.from(der))).toBe(true);
      expect(Buffer.from(der).indexOf(Buffer.from(cert.tbs))).toBe(4);
      expect(Buffer.from(der).indexOf(Buffer.from(cert.spki))).toBeGreaterThan(0);
      expect(cert.tbs.buffer).toBe(cert.der.buffer);
    }
  });

  it("does not share memory with the caller's buffer", () => {
    const der = derOf(EK_FILES[0] as string);
    const cert = parseCertificate(der);
    const serial = cert.serial;
    der.fill(0);
    expect(cert.der[0]).toBe(0x30);
    expect(cert.serial).toBe(serial);
  });

  it("with views, keeps views of the caller's bytes (no copy) and reads the same certificate", () => {
    const der = derOf(EK_FILES[0] as string);
    const copied = parseCertificate(der);
    const viewed = parseCertificate(der, { views: true });
    expect(viewed.der.buffer).toBe(der.buffer);
    expect(viewed.tbs.buffer).toBe(der.buffer);
    expect(copied.der.buffer).not.toBe(der.buffer);
    expect(viewed.serial).toBe(copied.serial);
    expect(Buffer.from(viewed.spki).equals(Buffer.from(copied.spki))).toBe(true);
  });

  it("gives usable public keys of the right type", () => {
    for (const [, , cert] of samples) {
      expect(cert.publicKey.asymmetricKeyType).toBe(cert.keyType);
      expect(cert.publicKey.type).toBe("public");
    }
  });
});

describe("the 66 real CA certificate files", () => {
  // Several files hold the same certificate (six Infineon pairs, the sample CAs): openssl reads
  // each distinct one once.
  const firstWithSameDer = new Map<string, string>();
  const sameAs = new Map(
    CA_FILES.map((f) => {
      const key = Buffer.from(derOf(f)).toString("base64");
      if (!firstWithSameDer.has(key)) firstWithSameDer.set(key, f);
      return [f, firstWithSameDer.get(key) as string];
    }),
  );
  let openssl: Map<string, OpensslView>;
  beforeAll(async () => {
    openssl = await opensslViews([...firstWithSameDer.values()]);
  });

  it.each(CA_FILES.map((f) => [label(f), f]))("%s", (_name, file) => {
    expectMatchesOpenssl(
      parseCertificate(derOf(file)),
      openssl.get(sameAs.get(file) as string) as OpensslView,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-built certificates: a tiny DER writer of the test's own.

function tlv(id: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Uint8Array.of(id, ...len), body]);
}
const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
const set = (...p: Uint8Array[]) => tlv(0x31, ...p);
const int = (n: number) => tlv(0x02, Uint8Array.of(n));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s));
const octets = (b: Uint8Array) => tlv(0x04, b);
const bits = (b: Uint8Array) => tlv(0x03, Uint8Array.of(0), b);
const bool = (v: boolean) => tlv(0x01, Uint8Array.of(v ? 0xff : 0));
const NULL = Uint8Array.of(0x05, 0x00);
function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}
const cn = (s: string) => seq(set(seq(oid("2.5.4.3"), utf8(s))));
const ext = (id: string, critical: boolean, value: Uint8Array) =>
  critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));
const utc = (s: string) => tlv(0x17, Buffer.from(s));

const issuerKeys = generateKeyPairSync("ec", { namedCurve: "P-256" });

interface CertParts {
  version?: Uint8Array | null;
  serial?: Uint8Array;
  innerAlg?: Uint8Array;
  outerAlg?: Uint8Array;
  issuer?: Uint8Array;
  validity?: Uint8Array;
  subject?: Uint8Array;
  spki?: Uint8Array;
  extensions?: Uint8Array[] | null;
}

/** A certificate from parts, signed with ECDSA P-256 over the TBS as built. */
function buildCert(p: CertParts = {}): Uint8Array {
  const extensions = p.extensions === undefined ? [ext("2.5.29.19", true, seq())] : p.extensions;
  const tbs = seq(
    ...(p.version === null ? [] : [p.version ?? tlv(0xa0, int(2))]),
    p.serial ?? int(7),
    p.innerAlg ?? ECDSA_SHA256,
    p.issuer ?? cn("Test CA"),
    p.validity ?? seq(utc("250101000000Z"), tlv(0x18, Buffer.from("20991231235959Z"))),
    p.subject ?? seq(),
    p.spki ?? new Uint8Array(issuerKeys.publicKey.export({ type: "spki", format: "der" })),
    ...(extensions === null ? [] : [tlv(0xa3, seq(...extensions))]),
  );
  const sig = sign("sha256", tbs, issuerKeys.privateKey);
  return seq(tbs, p.outerAlg ?? ECDSA_SHA256, bits(sig));
}

function parseError(der: Uint8Array): EkCertParseError {
  try {
    parseCertificate(der);
  } catch (e) {
    expect(e).toBeInstanceOf(EkCertParseError);
    return e as EkCertParseError;
  }
  throw new Error("expected an EkCertParseError");
}

describe("hand-built certificates", () => {
  const tmp = mkdtempSync(join(tmpdir(), "ekcert-test-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("reads an RSA key under id-RSAES-OAEP as a usable RSA key, hashed as openssl hashes the rsaEncryption form", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pkcs1 = new Uint8Array(publicKey.export({ type: "pkcs1", format: "der" }));
    for (const params of [[], [seq()]]) {
      // SubjectPublicKeyInfo { AlgorithmIdentifier { id-RSAES-OAEP [, RSAES-OAEP-params] }, RSAPublicKey }
      const spki = seq(seq(oid("1.2.840.113549.1.1.7"), ...params), bits(pkcs1));
      const cert = parseCertificate(buildCert({ spki }));
      expect([cert.keyType, cert.keyBits]).toEqual(["rsa", 2048]);
      expect(Buffer.from(cert.spki).equals(Buffer.from(spki))).toBe(true); // kept as written

      const secret = Buffer.from("credential seed");
      const wrapped = publicEncrypt(
        { key: cert.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        secret,
      );
      expect(
        privateDecrypt(
          { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          wrapped,
        ),
      ).toEqual(secret);

      // openssl on the same key in its usual rsaEncryption form.
      const pem = join(tmp, "rsa.pub.pem");
      writeFileSync(pem, publicKey.export({ type: "spki", format: "pem" }));
      const { stdout } = await run("bash", [
        "-c",
        `openssl pkey -pubin -in "${pem}" -outform DER | sha256sum`,
      ]);
      expect(ekPubSha256(cert)).toBe(stdout.split(" ")[0]);
    }
  });

  it("tolerates bytes after the value inside an extension it does not decode", () => {
    const crlDp = Buffer.concat([
      seq(seq(tlv(0xa0, tlv(0xa0, tlv(0x86, Buffer.from("http://x")))))),
      Buffer.from("junk"),
    ]);
    const cert = parseCertificate(buildCert({ extensions: [ext("2.5.29.31", false, crlDp)] }));
    expect(cert.extensions[0]?.oid).toBe("2.5.29.31");
  });

  it("keeps an unknown critical extension for the verifier to judge", () => {
    const cert = parseCertificate(buildCert({ extensions: [ext("1.3.6.1.4.1.99999.1", true, NULL)] }));
    expect(cert.extensions).toEqual([{ oid: "1.3.6.1.4.1.99999.1", critical: true, value: NULL }]);
  });

  it("reads a version 1 certificate without extensions", () => {
    const cert = parseCertificate(buildCert({ version: null, extensions: null }));
    expect([cert.version, cert.extensions.length, cert.basicConstraints]).toEqual([1, 0, undefined]);
  });

  it("reads GeneralizedTime validity, an AKI with issuer and serial, pathLen and EKUs", () => {
    const aki = seq(
      tlv(0x80, Uint8Array.of(1, 2, 3)),
      tlv(0xa1, tlv(0xa4, cn("Root"))),
      tlv(0x82, Uint8Array.of(5)),
    );
    const cert = parseCertificate(
      buildCert({
        extensions: [
          ext("2.5.29.35", false, aki),
          ext("2.5.29.19", true, seq(bool(true), int(3))),
          ext("2.5.29.37", false, seq(oid("2.23.133.8.3"))),
        ],
      }),
    );
    expect(cert.notAfter.toISOString()).toBe("2099-12-31T23:59:59.000Z");
    expect([...(cert.authorityKeyId ?? [])]).toEqual([1, 2, 3]);
    expect(cert.basicConstraints).toEqual({ ca: true, pathLen: 3 });
    expect(cert.extKeyUsage).toEqual(["2.23.133.8.3"]);
  });

  it("reads identical extension bytes once: later certificates share the read Extension, frozen", () => {
    const eku = ext("2.5.29.37", false, seq(oid("2.23.133.8.1")));
    const ku = ext("2.5.29.15", true, bits(Uint8Array.of(0x20)));
    const ski = ext("2.5.29.14", false, octets(Uint8Array.of(1, 2, 3)));
    const a = parseCertificate(buildCert({ serial: int(1), extensions: [eku, ku, ski] }));
    const b = parseCertificate(buildCert({ serial: int(2), extensions: [eku, ku, ski] }));
    expect(b.extensions[0]).toBe(a.extensions[0]);
    expect(b.extKeyUsage).toBe(a.extKeyUsage);
    expect(b.keyUsage).toBe(a.keyUsage);
    expect([...(b.keyUsage ?? [])]).toEqual(["keyEncipherment"]);
    expect(Object.isFrozen(a.extensions[0]) && Object.isFrozen(a.extKeyUsage)).toBe(true);
    // A subjectKeyIdentifier is one certificate's own: read each time.
    expect(b.extensions[2]).not.toBe(a.extensions[2]);
    expect(Buffer.from(b.subjectKeyId ?? []).toString("hex")).toBe("010203");
    // One byte more or less is another extension.
    const other = parseCertificate(
      buildCert({ extensions: [ext("2.5.29.37", false, seq(oid("2.23.133.8.3")))] }),
    );
    expect(other.extensions[0]).not.toBe(a.extensions[0]);
    expect(other.extKeyUsage).toEqual(["2.23.133.8.3"]);
  });

  it("never keeps an extension that failed, nor one from memory that changes later", () => {
    const bad = ext("2.5.29.15", true, octets(Uint8Array.of(8)));
    expect(parseError(buildCert({ extensions: [bad] })).message).toMatch(/keyUsage/);
    expect(parseError(buildCert({ extensions: [bad] })).message).toMatch(/keyUsage/);
    const der = Buffer.from(buildCert({ extensions: [ext("2.5.29.19", true, seq(bool(true)))] }));
    const cert = parseCertificate(der, { views: true });
    expect(cert.basicConstraints).toEqual({ ca: true });
    der.fill(0); // the cache keeps copies, not views of this buffer
    expect(Buffer.from(cert.extensions[0]?.value ?? []).toString("hex")).toBe("30030101ff");
    const again = parseCertificate(buildCert({ extensions: [ext("2.5.29.19", true, seq(bool(true)))] }));
    expect(again.basicConstraints).toEqual({ ca: true });
  });

  it("prints a negative serial with a minus sign, and a zero serial as 00", () => {
    expect(parseCertificate(buildCert({ serial: tlv(0x02, Uint8Array.of(0xff, 0x7f)) })).serial).toBe("-81");
    expect(parseCertificate(buildCert({ serial: int(0) })).serial).toBe("00");
  });

  it.each([
    [
      "bytes after the certificate",
      () => Buffer.concat([buildCert(), Uint8Array.of(0)]),
      /1 byte\(s\) after the end of the certificate/,
    ],
    [
      "an extension that appears twice",
      () =>
        buildCert({
          extensions: [
            ext("2.5.29.15", true, bits(Uint8Array.of(8))),
            ext("2.5.29.15", true, bits(Uint8Array.of(8))),
          ],
        }),
      /2\.5\.29\.15 \(keyUsage\) appears twice/,
    ],
    [
      "a TBS signature algorithm that differs from the outer one",
      () => buildCert({ innerAlg: seq(oid("1.2.840.10045.4.3.3")) }),
      /tbsCertificate\.signature: .* differs from signatureAlgorithm/,
    ],
    ["an unknown version", () => buildCert({ version: tlv(0xa0, int(5)) }), /unknown version 6/],
    ["a missing subject public key", () => buildCert({ spki: tlv(0xa3, seq()) }), /SubjectPublicKeyInfo/],
    [
      "an invalid date",
      () => buildCert({ validity: seq(utc("251301000000Z"), utc("260101000000Z")) }),
      /validity.*invalid date/,
    ],
    [
      "a key usage that is not a BIT STRING",
      () => buildCert({ extensions: [ext("2.5.29.15", true, octets(Uint8Array.of(8)))] }),
      /keyUsage/,
    ],
    [
      "a SAN that is not GeneralNames",
      () => buildCert({ extensions: [ext("2.5.29.17", true, int(1))] }),
      /subjectAltName/,
    ],
    [
      "an EC key on an unsupported curve",
      () =>
        buildCert({
          spki: seq(seq(oid("1.2.840.10045.2.1"), oid("1.3.132.0.10")), bits(Uint8Array.of(4, 1, 2))),
        }),
      /EC curve 1\.3\.132\.0\.10 is not supported/,
    ],
    [
      "an EC point of the wrong length",
      () =>
        buildCert({
          spki: seq(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bits(Uint8Array.of(4, 1, 2))),
        }),
      /not a P-256 point/,
    ],
    [
      "a DSA key",
      () => buildCert({ spki: seq(seq(oid("1.2.840.10040.4.1")), bits(int(5))) }),
      /1\.2\.840\.10040\.4\.1 is not supported/,
    ],
  ])("refuses %s, saying so", (_label, make, message) => {
    const e = parseError(make());
    expect(e.code).toBe("EK_CERT_MALFORMED");
    expect(e.message).toMatch(message);
  });

  it("reports a point that is not on the curve when the key is first used", () => {
    const point = Uint8Array.of(4, ...new Uint8Array(64).fill(1));
    const cert = parseCertificate(
      buildCert({ spki: seq(seq(oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")), bits(point)) }),
    );
    expect(() => cert.publicKey).toThrow(EkCertParseError);
    expect(ekPubSha256(cert)).toBe(createHash("sha256").update(cert.spki).digest("hex"));
  });
});

// ---------------------------------------------------------------------------------------------

describe("hostile input: always an EkCertParseError, never a hang", () => {
  const real = EK_FILES.map(derOf);
  const ca = parseCertificate(derOf(join(SHARED, "ek-samples/cas/infineon_optiga_ecc_mfg_ca035.pem")));

  /** Parses, touches the lazy key and checks a signature; only EkCertParseError may escape. */
  function survive(der: Uint8Array, key: KeyObject = ca.publicKey): void {
    try {
      const cert = parseCertificate(der);
      void cert.publicKey;
      expect(typeof verifyCertificateSignature(cert, key)).toBe("boolean");
    } catch (e) {
      if (!(e instanceof EkCertParseError)) throw e;
      expect(e.message.length).toBeGreaterThan(10);
    }
  }

  it("refuses empty input", () => {
    expect(parseError(new Uint8Array()).message).toMatch(/empty/);
  });

  it("refuses oversized input without reading it", () => {
    const big = new Uint8Array(MAX_CERTIFICATE_BYTES + 1);
    big.set([0x30, 0x83, 0x01, 0x00, 0x00]);
    expect(parseError(big).message).toMatch(/too large/);
  });

  it("refuses 10,000 levels of nesting at once", () => {
    const depth = 10_000;
    const der = new Uint8Array(depth * 5 + 2);
    for (let i = 0; i < depth; i++) {
      const len = der.length - (i + 1) * 5;
      der.set([0x30, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff], i * 5);
    }
    der.set([0x05, 0x00], depth * 5);
    const started = performance.now();
    parseError(der);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("refuses every truncation of every real EK certificate", () => {
    for (const der of real) {
      for (let n = 0; n < der.length; n++)
        expect(() => parseCertificate(der.subarray(0, n))).toThrow(EkCertParseError);
    }
  });

  it("survives random bytes (1,000 cases)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => survive(b)),
      { numRuns: 1000 },
    );
  });

  it("survives random byte changes to real EK certificates (2,000 cases)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: real.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (which, edits) => {
          const der = Uint8Array.from(real[which] as Uint8Array);
          for (const [at, value] of edits) der[at % der.length] = value;
          survive(der);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("survives length fields pointed anywhere (1,000 cases)", () => {
    // Headers are where a walker goes wrong: rewrite one length octet of one element.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: real.length - 1 }),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (which, at, value) => {
          const der = Uint8Array.from(real[which] as Uint8Array);
          const positions: number[] = [];
          for (let i = 0; i + 1 < der.length; i++)
            if (der[i] === 0x30 || der[i] === 0x04 || der[i] === 0x03) positions.push(i + 1);
          der[positions[at % positions.length] as number] = value;
          survive(der);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("canonicalSpki", () => {
  // OpenSSL's own encoding (node's export) is the reference: ek_pub_sha256 hashes exactly it.
  const keys = [
    ...[1024, 2048, 3072, 4096].map((modulusLength) =>
      generateKeyPairSync("rsa", { modulusLength, publicExponent: 0x10001 }),
    ),
    generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }),
    ...["prime256v1", "secp384r1", "secp521r1"].map((namedCurve) =>
      generateKeyPairSync("ec", { namedCurve }),
    ),
  ];

  it.each(keys.map((k) => [k.publicKey.asymmetricKeyDetails, k] as const))(
    "writes what OpenSSL writes for %o",
    (_details, { publicKey }) => {
      const der = publicKey.export({ type: "spki", format: "der" });
      expect(Buffer.from(canonicalSpki(parsePublicKeyInfo(der)))).toEqual(der);
    },
  );

  it("rewrites an RSA key under id-RSAES-OAEP as rsaEncryption with NULL parameters", () => {
    const der = keys[1]!.publicKey.export({ type: "spki", format: "der" });
    // rsaEncryption (…01 01 01) → id-RSAES-OAEP (…01 01 07), same length, parameters kept NULL.
    const oaep = Buffer.from(der);
    const at = oaep.indexOf(Buffer.from("2a864886f70d010101", "hex"));
    oaep[at + 8] = 0x07;
    const key = parsePublicKeyInfo(oaep);
    expect(key.canonical).toBe(false);
    expect(Buffer.from(canonicalSpki(key))).toEqual(der);
  });
});
