// ek_pub_sha256 against the openssl pipeline DESIGN §4 defines it by, run at test time:
//   openssl x509 -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum
import { execFile } from "node:child_process";
import {
  createECDH,
  createHash,
  createPublicKey,
  ECDH,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCertificate, parsePublicKeyInfo, publicKeyObject } from "./certificate.js";
import { certKeySha256, ekPubSha256, spkiSha256 } from "./ek-pub-hash.js";
import { EkCertParseError } from "./errors.js";
import { readCertificateInput } from "./input.js";

const run = promisify(execFile);
const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const EK_FILES = readdirSync(join(SHARED, "ek-samples/certs"))
  .filter((f) => f.endsWith(".pem"))
  .map((f) => join(SHARED, "ek-samples/certs", f));

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * The RSA key's SPKI under id-RSAES-OAEP, not as OpenSSL writes it:
 * SEQUENCE { SEQUENCE { id-RSAES-OAEP }, BIT STRING { 00, RSAPublicKey } }.
 */
function oaepSpki(key: KeyObject): Buffer {
  const pkcs1 = key.export({ type: "pkcs1", format: "der" });
  const body = Buffer.concat([
    Buffer.from("300b06092a864886f70d010107", "hex"),
    Buffer.from([0x03, 0x82, (pkcs1.length + 1) >> 8, (pkcs1.length + 1) & 0xff, 0]),
    pkcs1,
  ]);
  return Buffer.concat([Buffer.from([0x30, 0x82, body.length >> 8, body.length & 0xff]), body]);
}

describe("ekPubSha256 of the real EK certificates", () => {
  const expected = new Map<string, string>();
  beforeAll(async () => {
    const script = `for f in "$@"; do echo "$f $(openssl x509 -in "$f" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)"; done`;
    const { stdout } = await run("bash", ["-c", script, "hash", ...EK_FILES]);
    for (const line of stdout.trim().split("\n")) {
      const at = line.lastIndexOf(" ");
      expected.set(line.slice(0, at), line.slice(at + 1));
    }
  });

  it.each(EK_FILES.map((f) => [f.slice(SHARED.length), f]))(
    "%s equals the openssl pipeline",
    (_name, file) => {
      const cert = parseCertificate(readCertificateInput(readFileSync(file))[0] as Uint8Array);
      expect(ekPubSha256(cert)).toMatch(/^[0-9a-f]{64}$/);
      expect(ekPubSha256(cert)).toBe(expected.get(file));
    },
  );
});

describe("ekPubSha256 equals node's export({ type: 'spki' }) without making a KeyObject", () => {
  it.each([
    ["RSA-2048", generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey],
    [
      "RSA-2048 with exponent 3",
      generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).publicKey,
    ],
    ["P-256", generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey],
    ["P-384", generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey],
    ["P-521", generateKeyPairSync("ec", { namedCurve: "P-521" }).publicKey],
  ])("%s", (_name, key) => {
    const spki = new Uint8Array(key.export({ type: "spki", format: "der" }));
    expect(spkiSha256(spki)).toBe(sha256(spki));
    // And the KeyObject we would make from it exports the same.
    expect(sha256(publicKeyObject(parsePublicKeyInfo(spki)).export({ type: "spki", format: "der" }))).toBe(
      sha256(spki),
    );
  });

  it("keeps a compressed EC point compressed, as openssl and node do", () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const point = ECDH.convertKey(
      ecdh.getPublicKey(),
      "prime256v1",
      undefined,
      undefined,
      "compressed",
    ) as Buffer;
    const header = Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex");
    const spki = Buffer.concat([header, point]);
    const viaNode = createPublicKey({ key: spki, format: "der", type: "spki" }).export({
      type: "spki",
      format: "der",
    });
    expect(spkiSha256(spki)).toBe(sha256(viaNode));
  });

  it("normalizes an RSA key under id-RSAES-OAEP to rsaEncryption", () => {
    const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    expect(spkiSha256(oaepSpki(key))).toBe(sha256(key.export({ type: "spki", format: "der" })));
  });

  it("refuses a SubjectPublicKeyInfo that does not parse", () => {
    expect(() => spkiSha256(Buffer.from("3003020101", "hex"))).toThrow(EkCertParseError);
  });
});

describe("certKeySha256", () => {
  const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
  const spki = new Uint8Array(key.export({ type: "spki", format: "der" }));
  const sha = sha256(spki);

  it("answers the known hash for the very same bytes, without parsing them", () => {
    // A stand-in hash shows which branch answered; real callers pass the SPKI's own hash.
    expect(certKeySha256({ spki: new Uint8Array(spki) }, { spki, sha256: "known" })).toBe("known");
  });

  it("hashes another encoding of the key, or another key, as ekPubSha256 does", () => {
    // The same key under id-RSAES-OAEP: other bytes, same canonical hash.
    expect(certKeySha256({ spki: oaepSpki(key) }, { spki, sha256: "known" })).toBe(sha);

    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const otherSpki = other.export({ type: "spki", format: "der" });
    expect(certKeySha256({ spki: otherSpki }, { spki, sha256: sha })).toBe(sha256(otherSpki));
    expect(() => certKeySha256({ spki: Buffer.from("3003020101", "hex") }, { spki, sha256: sha })).toThrow(
      EkCertParseError,
    );
  });
});
