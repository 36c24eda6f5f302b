import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sodium from "libsodium-wrappers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeCbor } from "./cbor.js";
import { signSign1 } from "./cose-sign1.js";
import { kidOf, verifySign1 } from "./cose-verify.js";
import {
  ed25519PrivateKeyFromSodium,
  privateKeyFromRaw,
  publicKeyFromRaw,
  rawPrivateKey,
  rawPublicKey,
  readPrivateKey,
  readPublicKey,
  sodiumEd25519KeyPair,
  writeKeyPair,
} from "./keys.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "formats-keys-"));
  await sodium.ready;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openssl(...args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

describe("writeKeyPair", () => {
  it.each(["ed25519", "x25519"] as const)("writes %s PEM files that openssl pkey reads", async (kind) => {
    const w = await writeKeyPair(dir, `station-${kind}`, kind);
    expect(readFileSync(w.keyPath, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readFileSync(w.pubPath, "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    openssl("pkey", "-in", w.keyPath, "-noout");
    openssl("pkey", "-pubin", "-in", w.pubPath, "-noout");
    // openssl names the algorithm and derives the same public key from the private one.
    expect(openssl("pkey", "-in", w.keyPath, "-text", "-noout")).toMatch(
      kind === "ed25519" ? /ED25519 Private-Key/ : /X25519 Private-Key/,
    );
    expect(openssl("pkey", "-in", w.keyPath, "-pubout")).toBe(readFileSync(w.pubPath, "utf8"));
  });

  it("writes the private key with mode 0600", async () => {
    const w = await writeKeyPair(dir, "mode", "ed25519");
    expect(statSync(w.keyPath).mode & 0o777).toBe(0o600);
  });

  it("refuses to overwrite an existing key, leaving both files as they were", async () => {
    const w = await writeKeyPair(dir, "again", "ed25519");
    const before = [readFileSync(w.keyPath, "utf8"), readFileSync(w.pubPath, "utf8")];
    await expect(writeKeyPair(dir, "again", "ed25519")).rejects.toMatchObject({
      code: "KEY_FILE_EXISTS",
      message: expect.stringMatching(/again\.key already exists; refusing to overwrite/),
    });
    expect([readFileSync(w.keyPath, "utf8"), readFileSync(w.pubPath, "utf8")]).toEqual(before);
  });

  it("refuses when only the .pub exists, and creates no .key", async () => {
    writeFileSync(join(dir, "orphan.pub"), "keep me");
    await expect(writeKeyPair(dir, "orphan", "ed25519")).rejects.toMatchObject({ code: "KEY_FILE_EXISTS" });
    expect(() => statSync(join(dir, "orphan.key"))).toThrow();
    expect(readFileSync(join(dir, "orphan.pub"), "utf8")).toBe("keep me");
  });
});

describe("key readers", () => {
  it("reads a key made by openssl genpkey, which then signs and verifies", async () => {
    const keyPath = join(dir, "openssl.key");
    const pubPath = join(dir, "openssl.pub");
    openssl("genpkey", "-algorithm", "ed25519", "-out", keyPath);
    openssl("pkey", "-in", keyPath, "-pubout", "-out", pubPath);
    const priv = await readPrivateKey(keyPath, "ed25519");
    const pub = await readPublicKey(pubPath, "ed25519");
    const payload = encodeCbor({ v: 1 });
    const cose = await signSign1(payload, sodiumEd25519KeyPair(priv));
    const kid = kidOf(rawPublicKey(pub));
    const out = verifySign1(cose, (k) => (hex(k) === hex(kid) ? pub : undefined));
    expect(hex(out.payload)).toBe(hex(payload));
  });

  it("says when the key is of the wrong type", async () => {
    const w = await writeKeyPair(dir, "registrar.x25519", "x25519");
    await expect(readPrivateKey(w.keyPath, "ed25519")).rejects.toMatchObject({
      code: "KEY_FILE_INVALID",
      message: expect.stringMatching(/holds an x25519 key, but an ed25519 key is needed/),
    });
    const rsa = join(dir, "rsa.key");
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa);
    await expect(readPrivateKey(rsa, "ed25519")).rejects.toThrow(/holds a rsa key/);
  });

  it("says when a public key is given where the private key is needed, and the reverse", async () => {
    const w = await writeKeyPair(dir, "swap", "ed25519");
    await expect(readPrivateKey(w.pubPath, "ed25519")).rejects.toThrow(/is a public key; the private key/);
    await expect(readPublicKey(w.keyPath, "ed25519")).rejects.toThrow(
      /is a private key; give the public key/,
    );
  });

  it("says when the file is missing or not PEM", async () => {
    await expect(readPublicKey(join(dir, "nope.pub"), "ed25519")).rejects.toThrow(/does not exist/);
    writeFileSync(join(dir, "garbage.pub"), "hello");
    await expect(readPublicKey(join(dir, "garbage.pub"), "ed25519")).rejects.toMatchObject({
      code: "KEY_FILE_INVALID",
      message: expect.stringMatching(/not a PEM public key/),
    });
  });
});

describe("raw keys for libsodium", () => {
  it("gives the Ed25519 seed and public key libsodium derives from it", async () => {
    const { privateKey } = await writeKeyPair(dir, "raw-ed", "ed25519");
    const seed = rawPrivateKey(privateKey);
    const kp = sodium.crypto_sign_seed_keypair(seed);
    expect(hex(rawPublicKey(privateKey))).toBe(hex(kp.publicKey));
    expect(hex(sodiumEd25519KeyPair(privateKey).secretKey)).toBe(hex(kp.privateKey));
    expect(hex(rawPrivateKey(ed25519PrivateKeyFromSodium(kp.privateKey)))).toBe(hex(seed));
  });

  it("gives the X25519 scalar whose libsodium public key matches", async () => {
    const { privateKey, publicKey } = await writeKeyPair(dir, "raw-x", "x25519");
    const scalar = rawPrivateKey(privateKey);
    expect(hex(sodium.crypto_scalarmult_base(scalar))).toBe(hex(rawPublicKey(publicKey)));
  });

  it("rebuilds KeyObjects from raw libsodium keys", () => {
    const kp = sodium.crypto_box_keypair();
    const priv = privateKeyFromRaw(kp.privateKey, "x25519");
    const pub = publicKeyFromRaw(kp.publicKey, "x25519");
    expect(hex(rawPublicKey(priv))).toBe(hex(kp.publicKey));
    expect(pub.asymmetricKeyType).toBe("x25519");
  });
});
