// The CA store: loading a directory of mixed files, and issuer lookup by key id, then name.
// The certificates are made here with @peculiar/x509, so what they are is known independently.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "./certificate.js";
import { CaStore, loadCaDir } from "./store.js";
import type { Certificate } from "./types.js";

x509.cryptoProvider.set(webcrypto);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

interface Made {
  x: x509.X509Certificate;
  cert: Certificate;
  keys: webcrypto.CryptoKeyPair;
  skiHex: string;
}

async function selfSigned(subject: string, keys?: webcrypto.CryptoKeyPair): Promise<Made> {
  const k =
    keys ?? ((await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair);
  const ski = await x509.SubjectKeyIdentifierExtension.create(k.publicKey);
  const x = await x509.X509CertificateGenerator.createSelfSigned({
    name: subject,
    keys: k,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), ski],
  });
  return { x, cert: parseCertificate(new Uint8Array(x.rawData)), keys: k, skiHex: ski.keyId };
}

async function issued(subject: string, issuer: Made, aki?: string): Promise<Certificate> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const x = await x509.X509CertificateGenerator.create({
    subject,
    issuer: new x509.Name(issuer.x.subjectName.toArrayBuffer()),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: aki ? [new x509.AuthorityKeyIdentifierExtension(aki)] : [],
  });
  return parseCertificate(new Uint8Array(x.rawData));
}

let dir: string;
let a: Made;
let b: Made;
let c: Made;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ekcert-store-"));
  [a, b, c] = await Promise.all([
    selfSigned("CN=Store Test A"),
    selfSigned("CN=Store Test B"),
    selfSigned("CN=Store Test C"),
  ]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadCaDir", () => {
  it("reads PEM (several certs in one file), DER and .crt files, and counts duplicates once", async () => {
    const d = join(dir, "mixed");
    await mkdir(join(d, "sub"), { recursive: true });
    await writeFile(join(d, "a-and-b.pem"), `${a.x.toString("pem")}\n${b.x.toString("pem")}\n`);
    await writeFile(join(d, "c.der"), new Uint8Array(c.x.rawData));
    await writeFile(join(d, "a-again.crt"), `${a.x.toString("pem")}\n`);
    await writeFile(join(d, "README.md"), "# not a certificate\n");
    await writeFile(join(d, "sub", "ignored.pem"), "not read: subdirectories are ignored\n");
    const result = await loadCaDir(d);
    expect(result.skipped).toEqual([]);
    expect(result.loaded).toBe(3);
    expect(result.duplicates).toBe(1);
    expect(result.store.size).toBe(3);
    expect(result.store.has(c.cert)).toBe(true);
    expect(result.store.sourceOf(c.cert)).toBe(join(d, "c.der"));
    expect(result.store.describe()).toBe(`3 certs loaded from ${d}`);
  });

  it("reports a file that does not parse by name and loads the rest", async () => {
    const d = join(dir, "broken");
    await mkdir(d, { recursive: true });
    await writeFile(join(d, "good.pem"), `${a.x.toString("pem")}\n`);
    await writeFile(join(d, "garbage.crt"), "this is not a certificate at all\n");
    const truncated = new Uint8Array(b.x.rawData).subarray(0, 100);
    await writeFile(join(d, "truncated.der"), truncated);
    await writeFile(join(d, "empty.cer"), "");
    const result = await loadCaDir(d);
    expect(result.loaded).toBe(1);
    expect(result.skipped.map((s) => s.file).sort()).toEqual(
      ["empty.cer", "garbage.crt", "truncated.der"].map((f) => join(d, f)),
    );
    for (const s of result.skipped) expect(s.reason).not.toBe("");
  });
});

describe("CaStore", () => {
  it("keeps a certificate once however often it is added", () => {
    const store = new CaStore();
    expect(store.add(a.cert)).toBe(true);
    expect(store.add(parseCertificate(a.cert.der))).toBe(false);
    expect(store.size).toBe(1);
    expect(store.certificates).toEqual([a.cert]);
  });

  it("offers issuers matched by Authority Key Identifier before those matched by name", async () => {
    // A second CA with A's name but another key; the child names A and carries A's key id.
    const twin = await selfSigned("CN=Store Test A");
    const child = await issued("CN=Child of A", a, a.skiHex);
    const store = new CaStore([twin.cert, b.cert, a.cert]);
    expect(store.issuersOf(child)).toEqual([a.cert, twin.cert]);
  });

  it("offers every certificate with the issuer's name when the child has no key id", async () => {
    const twin = await selfSigned("CN=Store Test A");
    const child = await issued("CN=Child of A", a);
    const store = new CaStore([twin.cert, b.cert, a.cert]);
    expect(store.issuersOf(child)).toEqual([twin.cert, a.cert]);
  });

  it("finds nothing for an issuer it does not hold", async () => {
    const child = await issued("CN=Child of C", c, c.skiHex);
    expect(new CaStore([a.cert, b.cert]).issuersOf(child)).toEqual([]);
  });
});
