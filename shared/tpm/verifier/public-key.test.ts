import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TPM_ALG, TPM_ECC } from "../constants.js";
import type { EccPublic, RsaPublic, TpmtPublic } from "../structures/public.js";
import { encodePublicArea, PublicAreaError, parsePublicArea } from "./public-area.js";
import {
  keyObjectToPublicFields,
  PublicKeyError,
  publicAreaToKeyObject,
  publicAreaToSpki,
  spkiFromNumbers,
} from "./public-key.js";
import { ECC_EK_PUB, RSA_AK_PUB, RSA_EK_PUB } from "./testdata/tpm2-tools.js";

const rsaPublic = (unique: Uint8Array, keyBits: number, exponent: number): RsaPublic => ({
  type: TPM_ALG.RSA,
  nameAlg: TPM_ALG.SHA256,
  objectAttributes: 0x00050072,
  authPolicy: new Uint8Array(0),
  parameters: {
    symmetric: { algorithm: TPM_ALG.NULL },
    scheme: { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 },
    keyBits,
    exponent,
  },
  unique,
});
const eccPublic = (curveID: number, x: Uint8Array, y: Uint8Array): EccPublic => ({
  type: TPM_ALG.ECC,
  nameAlg: TPM_ALG.SHA256,
  objectAttributes: 0x00050072,
  authPolicy: new Uint8Array(0),
  parameters: {
    symmetric: { algorithm: TPM_ALG.NULL },
    scheme: { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 },
    curveID,
    kdf: { scheme: TPM_ALG.NULL },
  },
  unique: { x, y },
});

/** The public area around a software key, via the reverse conversion. */
function areaFor(key: ReturnType<typeof generateKeyPairSync>["publicKey"]): TpmtPublic {
  const f = keyObjectToPublicFields(key);
  return f.type === TPM_ALG.RSA
    ? rsaPublic(f.unique, f.keyBits, f.exponent)
    : eccPublic(f.curveID, f.unique.x, f.unique.y);
}

/** One RSA-2048 key for the tests that do not care which (RSA key generation is slow). */
const rsa2048 = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;

describe("public area → node:crypto key", () => {
  it("gives back the SPKI node:crypto made for an RSA-2048 key", () => {
    const publicKey = rsa2048;
    const spki = publicKey.export({ type: "spki", format: "der" });
    expect(Buffer.from(publicAreaToSpki(areaFor(publicKey)))).toEqual(spki);
  });

  it("writes the same SPKI from the numbers alone (spkiFromNumbers), and refuses what it cannot write", () => {
    const rsaSpki = rsa2048.export({ type: "spki", format: "der" });
    expect(Buffer.from(spkiFromNumbers(areaFor(rsa2048)))).toEqual(rsaSpki);
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
    expect(Buffer.from(spkiFromNumbers(areaFor(publicKey)))).toEqual(
      publicKey.export({ type: "spki", format: "der" }),
    );
    const f = keyObjectToPublicFields(rsa2048);
    if (f.type !== TPM_ALG.RSA) throw new Error("expected RSA");
    // A modulus one byte short of keyBits, and one without its top bit: not a 2048-bit key.
    expect(() => spkiFromNumbers(rsaPublic(f.unique.subarray(1), 2048, 0))).toThrow(/not 2048 bits/);
    const low = new Uint8Array(f.unique);
    low[0] = 0x7f;
    expect(() => spkiFromNumbers(rsaPublic(low, 2048, 0))).toThrow(PublicKeyError);
    const keyedHash = { ...areaFor(rsa2048), type: TPM_ALG.KEYEDHASH } as unknown as TpmtPublic;
    expect(() => spkiFromNumbers(keyedHash)).toThrow(/neither RSA nor ECC/);
  });

  it.each(["P-256", "P-384", "P-521"])("gives back the SPKI node:crypto made for a %s key", (curve) => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
    const spki = publicKey.export({ type: "spki", format: "der" });
    expect(Buffer.from(publicAreaToSpki(areaFor(publicKey)))).toEqual(spki);
  });

  it("reads exponent 0 as 65537 and reports 65537 back as 0, as TPMs do", () => {
    const publicKey = rsa2048; // node's default exponent is 65537
    const f = keyObjectToPublicFields(publicKey);
    expect(f).toMatchObject({ type: TPM_ALG.RSA, keyBits: 2048, exponent: 0 });
    const jwk = publicAreaToKeyObject(areaFor(publicKey)).export({ format: "jwk" });
    expect(jwk.e).toBe("AQAB");
  });

  it("keeps a non-default exponent", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 });
    const f = keyObjectToPublicFields(publicKey);
    expect(f).toMatchObject({ exponent: 3 });
    expect(publicAreaToKeyObject(areaFor(publicKey)).export({ format: "jwk" }).e).toBe("Aw");
  });

  it("accepts a coordinate the TPM sent without its leading zero byte", () => {
    // Find a P-256 key whose x starts with 0x00, then strip that byte.
    for (;;) {
      const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const f = keyObjectToPublicFields(publicKey);
      if (f.type !== TPM_ALG.ECC || f.unique.x[0] !== 0) continue;
      const area = eccPublic(TPM_ECC.NIST_P256, f.unique.x.subarray(1), f.unique.y);
      expect(Buffer.from(publicAreaToSpki(area))).toEqual(publicKey.export({ type: "spki", format: "der" }));
      return;
    }
  });

  it("converts the EKs tpm2-tools wrote to keys of the right kind", () => {
    expect(publicAreaToKeyObject(parsePublicArea(RSA_EK_PUB)).asymmetricKeyDetails).toMatchObject({
      modulusLength: 2048,
      publicExponent: 65537n,
    });
    expect(publicAreaToKeyObject(parsePublicArea(ECC_EK_PUB)).asymmetricKeyDetails).toMatchObject({
      namedCurve: "prime256v1",
    });
  });

  it("refuses an ECC point that is not on the curve", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const f = keyObjectToPublicFields(publicKey);
    if (f.type !== TPM_ALG.ECC) throw new Error("expected ECC");
    const y = Uint8Array.from(f.unique.y);
    y[31] = (y[31] as number) ^ 1;
    expect(() => publicAreaToKeyObject(eccPublic(TPM_ECC.NIST_P256, f.unique.x, y))).toThrow(PublicKeyError);
  });

  it("refuses a coordinate longer than the curve's field", () => {
    const x = new Uint8Array(33).fill(1);
    expect(() => publicAreaToKeyObject(eccPublic(TPM_ECC.NIST_P256, x, x))).toThrow(PublicKeyError);
  });

  it("refuses an RSA modulus whose length disagrees with keyBits", () => {
    const f = keyObjectToPublicFields(rsa2048);
    if (f.type !== TPM_ALG.RSA) throw new Error("expected RSA");
    expect(() => publicAreaToKeyObject(rsaPublic(f.unique, 3072, 0))).toThrow(PublicKeyError);
    expect(() => publicAreaToKeyObject(rsaPublic(new Uint8Array(256), 2048, 0))).toThrow(PublicKeyError);
  });

  it("refuses curves and types it does not implement with TPM_ALG_UNSUPPORTED", () => {
    const p = new Uint8Array(32).fill(1);
    expect(() => publicAreaToKeyObject(eccPublic(TPM_ECC.BN_P256, p, p))).toThrow(
      expect.objectContaining({ code: "TPM_ALG_UNSUPPORTED" }),
    );
  });
});

describe("TPM2B_PUBLIC bytes", () => {
  it("decodes and re-encodes a tpm2-tools public area byte for byte", () => {
    for (const bytes of [RSA_EK_PUB, RSA_AK_PUB, ECC_EK_PUB]) {
      expect(Buffer.from(encodePublicArea(parsePublicArea(bytes)))).toEqual(Buffer.from(bytes));
    }
  });

  it("reports malformed bytes as PUBLIC_AREA_MALFORMED, naming the input", () => {
    const bad = [
      RSA_AK_PUB.subarray(0, 100),
      Buffer.concat([RSA_AK_PUB, Buffer.from([0])]),
      new Uint8Array(0),
    ];
    for (const b of bad) {
      expect(() => parsePublicArea(new Uint8Array(b), "aik_tpm")).toThrow(PublicAreaError);
      expect(() => parsePublicArea(new Uint8Array(b), "aik_tpm")).toThrow(
        /^aik_tpm is not a valid TPM2B_PUBLIC/,
      );
    }
  });
});
