import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeCbor } from "./cbor.js";
import { signSign1 } from "./cose-sign1.js";
import { kidOf, parseSign1, verifySign1 } from "./cose-verify.js";
import { rawPublicKey, sodiumEd25519KeyPair } from "./keys.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

// A minimal CBOR writer, independent of ../cbor.ts: just the heads these tests need.
function head(major: number, n: number): string {
  const m = major << 5;
  if (n < 24) return (m | n).toString(16).padStart(2, "0");
  if (n < 0x100) return (m | 24).toString(16) + n.toString(16).padStart(2, "0");
  if (n < 0x10000) return (m | 25).toString(16) + n.toString(16).padStart(4, "0");
  return (m | 26).toString(16) + n.toString(16).padStart(8, "0");
}
const bstr = (b: Uint8Array): string => head(2, b.length) + hex(b);

/** Raw public key and kid computed by hand: JWK "x" is the raw key (RFC 8037). */
function handKid(pub: KeyObject): { raw: Uint8Array; kid: Uint8Array } {
  const raw = new Uint8Array(Buffer.from(pub.export({ format: "jwk" }).x as string, "base64url"));
  return { raw, kid: new Uint8Array(createHash("sha256").update(raw).digest().subarray(0, 16)) };
}

/** Protected header {1: alg, 4: kid} written by hand (alg as a negative integer, -24 ≤ alg ≤ -1). */
function handProtected(alg: number, kid: Uint8Array): Uint8Array {
  return unhex(`a2 01 ${head(1, -1 - alg)} 04 ${bstr(kid)}`.replace(/ /g, ""));
}

function handSigStructure(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return unhex(
    `84 ${head(3, 10)}${hex(Buffer.from("Signature1"))} ${bstr(protectedBytes)} 40 ${bstr(payload)}`.replace(
      / /g,
      "",
    ),
  );
}

/** A COSE_Sign1 assembled by hand and signed by node:crypto. */
function handSign1(alg: number, key: KeyObject, payload: Uint8Array): Uint8Array {
  const { kid } = handKid(createPublicKey(key));
  const prot = handProtected(alg, kid);
  const sig = sign(null, handSigStructure(prot, payload), key);
  return unhex(`d2 84 ${bstr(prot)} a0 ${bstr(payload)} ${bstr(sig)}`.replace(/ /g, ""));
}

const station = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const stationKid = handKid(station.publicKey).kid;
const lookup = (kid: Uint8Array) => (hex(kid) === hex(stationKid) ? station.publicKey : undefined);
const payload = encodeCbor({ v: 1, serial: "SN-0001", eks: [] });

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${String(e)}`;
  }
  throw new Error("expected an error");
}

describe("COSE_Sign1", () => {
  it("signs, and verifies its own signature, returning the payload and kid", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    const out = verifySign1(cose, lookup);
    expect(hex(out.payload)).toBe(hex(payload));
    expect(hex(out.kid)).toBe(hex(stationKid));
    expect(out.alg).toBe(-8);
  });

  it("writes exactly tag 18 [<<{1: -8, 4: kid}>>, {}, payload, signature], checked by hand", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    const prot = handProtected(-8, stationKid);
    expect(hex(prot)).toBe(`a2012704 50${hex(stationKid)}`.replace(/ /g, ""));
    const sig = cose.subarray(cose.length - 64);
    expect(hex(cose)).toBe(`d284${bstr(prot)}a0${bstr(payload)}${bstr(sig)}`);
  });

  it("has a signature that node:crypto verifies over a Sig_structure rebuilt by hand", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    const sig = cose.subarray(cose.length - 64);
    const toBeSigned = handSigStructure(handProtected(-8, stationKid), payload);
    expect(verify(null, toBeSigned, station.publicKey, sig)).toBe(true);
    expect(verify(null, toBeSigned, other.publicKey, sig)).toBe(false);
  });

  it("computes kid as the first 16 bytes of SHA-256 of the raw public key", () => {
    expect(hex(kidOf(rawPublicKey(station.publicKey)))).toBe(hex(stationKid));
  });

  it("detects a flipped bit in any byte", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    for (let i = 0; i < cose.length; i++) {
      const bad = cose.slice();
      bad[i] = bad[i]! ^ 0x01;
      expect(() => verifySign1(bad, lookup), `byte ${i}`).toThrow();
      const code = codeOf(() => verifySign1(bad, lookup));
      expect(code, `byte ${i}`).toMatch(/^COSE_/);
    }
  });

  it("refuses a changed payload or signature as COSE_BAD_SIGNATURE", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    const badSig = cose.slice();
    badSig[badSig.length - 1] = badSig[badSig.length - 1]! ^ 0x80;
    expect(codeOf(() => verifySign1(badSig, lookup))).toBe("COSE_BAD_SIGNATURE");
    const badPayload = cose.slice();
    const p = hex(cose).indexOf(hex(payload)) / 2;
    badPayload[p + 5] = badPayload[p + 5]! ^ 0x01;
    expect(codeOf(() => verifySign1(badPayload, lookup))).toBe("COSE_BAD_SIGNATURE");
  });

  it("refuses an unknown kid as COSE_UNKNOWN_KID", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(other.privateKey));
    expect(codeOf(() => verifySign1(cose, lookup))).toBe("COSE_UNKNOWN_KID");
    expect(() => verifySign1(cose, lookup)).toThrow(hex(handKid(other.publicKey).kid));
  });

  it("refuses a signature checked with the wrong key as COSE_BAD_SIGNATURE", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    expect(codeOf(() => verifySign1(cose, () => other.publicKey))).toBe("COSE_BAD_SIGNATURE");
  });

  it("accepts a raw 32-byte public key from the lookup", async () => {
    const cose = await signSign1(payload, sodiumEd25519KeyPair(station.privateKey));
    expect(hex(verifySign1(cose, () => handKid(station.publicKey).raw).payload)).toBe(hex(payload));
  });

  it("accepts alg -19 (Ed25519, RFC 9864) when decoding", () => {
    const cose = handSign1(-19, station.privateKey, payload);
    const out = verifySign1(cose, lookup);
    expect(out.alg).toBe(-19);
    expect(hex(out.payload)).toBe(hex(payload));
  });

  it("accepts a hand-made alg -8 signature from node:crypto", () => {
    expect(verifySign1(handSign1(-8, station.privateKey, payload), lookup).alg).toBe(-8);
  });

  it("refuses an unknown alg (ES256, -7) as COSE_UNSUPPORTED_ALG", () => {
    const cose = handSign1(-7, station.privateKey, payload);
    expect(codeOf(() => verifySign1(cose, lookup))).toBe("COSE_UNSUPPORTED_ALG");
  });

  it.each([
    ["garbage", "ff00"],
    ["an untagged array", "84 40 a0 40 40"],
    ["a wrong tag", "d1 84 40 a0 40 40"],
    ["three items", "d2 83 40 a0 40"],
    ["an empty protected header", `d2 84 40 a0 41 00 5840 ${"00".repeat(64)}`],
    ["a detached payload", `d2 84 43 a10127 a0 f6 5840 ${"00".repeat(64)}`],
    ["a short signature", "d2 84 43 a10127 a0 41 00 41 00"],
    ["no kid", `d2 84 43 a10127 a0 41 00 5840 ${"00".repeat(64)}`],
  ])("refuses %s as COSE_MALFORMED", (_name, h) => {
    expect(codeOf(() => parseSign1(unhex(h.replace(/ /g, ""))))).toBe("COSE_MALFORMED");
  });

  it("keeps the verifier free of libsodium (the edge agent imports it)", () => {
    for (const f of ["cose-verify.ts", "cbor.ts", "errors.ts"]) {
      const src = readFileSync(fileURLToPath(new URL(f, import.meta.url)), "utf8");
      const imports = src.match(/from "[^"]+"/g) ?? [];
      for (const i of imports) expect(i, f).toMatch(/"(node:crypto|cbor-x|\.\/cbor\.js|\.\/errors\.js)"/);
    }
  });
});
