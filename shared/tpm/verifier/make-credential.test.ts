import {
  constants,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  privateDecrypt,
} from "node:crypto";
import { describe, expect, it } from "vitest";
import { TPM_ALG, TPM_ECC, TPMA_OBJECT } from "../constants.js";
import type { EccPublic, RsaPublic, TpmtPublic } from "../structures/public.js";
import { MakeCredentialError, makeCredential } from "./make-credential.js";
import { keyObjectToPublicFields, PublicKeyError } from "./public-key.js";
import { refActivate, refKdfe } from "./testdata/reference.js";

// EK Credential Profile templates: L-1/L-2 (SHA-256, AES-128) and H-3 (SHA-384, AES-256, P-384).
const LOW_ATTRS = 0x000300b2;
const HIGH_ATTRS = 0x000300f2;
const policyA = Buffer.from("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa", "hex");

function rsaEk(pub: KeyObject, nameAlg: number = TPM_ALG.SHA256, symBits = 128): RsaPublic {
  const f = keyObjectToPublicFields(pub);
  if (f.type !== TPM_ALG.RSA) throw new Error("expected RSA");
  return {
    type: TPM_ALG.RSA,
    nameAlg,
    objectAttributes: LOW_ATTRS,
    authPolicy: policyA,
    parameters: {
      symmetric: { algorithm: TPM_ALG.AES, keyBits: symBits, mode: TPM_ALG.CFB },
      scheme: { scheme: TPM_ALG.NULL },
      keyBits: f.keyBits,
      exponent: f.exponent,
    },
    unique: f.unique,
  };
}

function eccEk(pub: KeyObject, nameAlg: number, symBits: number, attrs = LOW_ATTRS): EccPublic {
  const f = keyObjectToPublicFields(pub);
  if (f.type !== TPM_ALG.ECC) throw new Error("expected ECC");
  return {
    type: TPM_ALG.ECC,
    nameAlg,
    objectAttributes: attrs,
    authPolicy: new Uint8Array(nameAlg === TPM_ALG.SHA384 ? 48 : 32).fill(7),
    parameters: {
      symmetric: { algorithm: TPM_ALG.AES, keyBits: symBits, mode: TPM_ALG.CFB },
      scheme: { scheme: TPM_ALG.NULL },
      curveID: f.curveID,
      kdf: { scheme: TPM_ALG.NULL },
    },
    unique: f.unique,
  };
}

const akName = Buffer.from(`000b${"5a".repeat(32)}`, "hex");
const credential = Buffer.from("0123456789abcdef0123456789abcdef", "ascii");

/** TPMS_ECC_POINT read by hand: u16 size, x, u16 size, y. */
function splitPoint(secret: Uint8Array): { x: Buffer; y: Buffer } {
  const b = Buffer.from(secret);
  const xs = b.readUInt16BE(0);
  const x = b.subarray(2, 2 + xs);
  const ys = b.readUInt16BE(2 + xs);
  const y = b.subarray(4 + xs, 4 + xs + ys);
  expect(4 + xs + ys).toBe(b.length);
  return { x, y };
}

/** The EK side of ECDH plus KDFe, as the TPM does it, to recover the seed. */
function eccSeed(
  ek: EccPublic,
  priv: KeyObject,
  secret: Uint8Array,
  crv: string,
  hash: string,
  bits: number,
): Buffer {
  const { x, y } = splitPoint(secret);
  const eph = createPublicKey({
    key: { kty: "EC", crv, x: x.toString("base64url"), y: y.toString("base64url") },
    format: "jwk",
  });
  const z = diffieHellman({ privateKey: priv, publicKey: eph });
  return refKdfe(hash, z, "IDENTITY", x, ek.unique.x, bits);
}

describe("makeCredential with an RSA EK", () => {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

  it("produces a blob that the EK's private key and the AK name recover (L-1: SHA-256, AES-128)", () => {
    const { credentialBlob, secret } = makeCredential({ ekPublic: rsaEk(publicKey), akName, credential });
    expect(secret.length).toBe(256);
    const seed = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha256",
        oaepLabel: Buffer.from("IDENTITY\0"),
      },
      secret,
    );
    expect(seed.length).toBe(32);
    expect(credentialBlob.integrityHMAC.length).toBe(32);
    expect(credentialBlob.encIdentity.length).toBe(2 + credential.length);
    const out = refActivate(
      "sha256",
      seed,
      akName,
      128,
      credentialBlob.integrityHMAC,
      credentialBlob.encIdentity,
    );
    expect(out).toEqual(credential);
  });

  it("uses the EK's nameAlg for the OAEP hash, the seed size and the HMAC (SHA-384)", () => {
    const ek = rsaEk(publicKey, TPM_ALG.SHA384, 256);
    const cred = Buffer.alloc(48, 0xc3);
    const { credentialBlob, secret } = makeCredential({ ekPublic: ek, akName, credential: cred });
    const seed = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha384",
        oaepLabel: Buffer.from("IDENTITY\0"),
      },
      secret,
    );
    expect(seed.length).toBe(48);
    expect(
      refActivate("sha384", seed, akName, 256, credentialBlob.integrityHMAC, credentialBlob.encIdentity),
    ).toEqual(cred);
  });

  it("binds the blob to the AK name: another AK's name fails the integrity check", () => {
    const { credentialBlob, secret } = makeCredential({ ekPublic: rsaEk(publicKey), akName, credential });
    const seed = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: "sha256",
        oaepLabel: Buffer.from("IDENTITY\0"),
      },
      secret,
    );
    const other = Buffer.from(akName);
    other[5] = (other[5] as number) ^ 1;
    expect(() =>
      refActivate("sha256", seed, other, 128, credentialBlob.integrityHMAC, credentialBlob.encIdentity),
    ).toThrow(/integrity HMAC mismatch/);
  });

  it("uses a fresh seed each time", () => {
    const a = makeCredential({ ekPublic: rsaEk(publicKey), akName, credential });
    const b = makeCredential({ ekPublic: rsaEk(publicKey), akName, credential });
    expect(Buffer.from(a.credentialBlob.encIdentity)).not.toEqual(Buffer.from(b.credentialBlob.encIdentity));
  });
});

describe("makeCredential with an ECC EK", () => {
  it("produces a blob the EK's private key recovers (L-2: P-256, SHA-256, AES-128)", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ek = eccEk(publicKey, TPM_ALG.SHA256, 128);
    const { credentialBlob, secret } = makeCredential({ ekPublic: ek, akName, credential });
    expect(secret.length).toBe(2 + 32 + 2 + 32);
    const seed = eccSeed(ek, privateKey, secret, "P-256", "sha256", 256);
    expect(
      refActivate("sha256", seed, akName, 128, credentialBlob.integrityHMAC, credentialBlob.encIdentity),
    ).toEqual(credential);
  });

  it("produces a blob the EK's private key recovers (H-3: P-384, SHA-384, AES-256)", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    const ek = eccEk(publicKey, TPM_ALG.SHA384, 256, HIGH_ATTRS);
    const name384 = Buffer.from(`000c${"11".repeat(48)}`, "hex");
    const { credentialBlob, secret } = makeCredential({ ekPublic: ek, akName: name384, credential });
    expect(secret.length).toBe(2 + 48 + 2 + 48);
    expect(credentialBlob.integrityHMAC.length).toBe(48);
    const seed = eccSeed(ek, privateKey, secret, "P-384", "sha384", 384);
    expect(
      refActivate("sha384", seed, name384, 256, credentialBlob.integrityHMAC, credentialBlob.encIdentity),
    ).toEqual(credential);
  });

  it("works on P-521 with SHA-512", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-521" });
    const ek = eccEk(publicKey, TPM_ALG.SHA512, 256, HIGH_ATTRS);
    const cred = Buffer.alloc(64, 9);
    const { credentialBlob, secret } = makeCredential({ ekPublic: ek, akName, credential: cred });
    const seed = eccSeed(ek, privateKey, secret, "P-521", "sha512", 512);
    expect(
      refActivate("sha512", seed, akName, 256, credentialBlob.integrityHMAC, credentialBlob.encIdentity),
    ).toEqual(cred);
  });

  it("refuses an EK point that is not on the curve", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ek = eccEk(publicKey, TPM_ALG.SHA256, 128);
    const y = Uint8Array.from(ek.unique.y);
    y[0] = (y[0] as number) ^ 0x40;
    expect(() =>
      makeCredential({ ekPublic: { ...ek, unique: { x: ek.unique.x, y } }, akName, credential }),
    ).toThrow(PublicKeyError);
  });
});

describe("makeCredential input checks", () => {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ek = eccEk(publicKey, TPM_ALG.SHA256, 128);
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(MakeCredentialError);
      return (e as MakeCredentialError).code;
    }
    throw new Error("did not throw");
  };

  it.each([
    ["a signing key", { ...ek, objectAttributes: (LOW_ATTRS & ~TPMA_OBJECT.decrypt) | TPMA_OBJECT.sign }],
    ["an unrestricted decrypt key", { ...ek, objectAttributes: LOW_ATTRS & ~TPMA_OBJECT.restricted }],
    [
      "a key without a symmetric",
      { ...ek, parameters: { ...ek.parameters, symmetric: { algorithm: TPM_ALG.NULL } } },
    ],
    [
      "a key with AES-CBC",
      {
        ...ek,
        parameters: {
          ...ek.parameters,
          symmetric: { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CBC },
        },
      },
    ],
  ])("refuses %s as the EK", (_what, bad) => {
    expect(code(() => makeCredential({ ekPublic: bad as TpmtPublic, akName, credential }))).toBe(
      "MAKECREDENTIAL_EK_UNSUITABLE",
    );
  });

  it("refuses a credential longer than the nameAlg digest, or empty", () => {
    expect(code(() => makeCredential({ ekPublic: ek, akName, credential: new Uint8Array(33) }))).toBe(
      "MAKECREDENTIAL_CREDENTIAL_SIZE",
    );
    expect(code(() => makeCredential({ ekPublic: ek, akName, credential: new Uint8Array(0) }))).toBe(
      "MAKECREDENTIAL_CREDENTIAL_SIZE",
    );
  });

  it.each([
    ["too short", akName.subarray(0, 20)],
    ["with an unknown hash", Buffer.from(`0099${"00".repeat(32)}`, "hex")],
    ["a handle", Buffer.from("81010001", "hex")],
  ])("refuses an AK name that is %s", (_what, name) => {
    expect(code(() => makeCredential({ ekPublic: ek, akName: new Uint8Array(name), credential }))).toBe(
      "MAKECREDENTIAL_AK_NAME_MALFORMED",
    );
  });

  it("refuses an EK curve it does not implement", () => {
    const bad = { ...ek, parameters: { ...ek.parameters, curveID: TPM_ECC.BN_P256 } };
    expect(() => makeCredential({ ekPublic: bad, akName, credential })).toThrow(
      expect.objectContaining({ code: "TPM_ALG_UNSUPPORTED" }),
    );
  });
});
