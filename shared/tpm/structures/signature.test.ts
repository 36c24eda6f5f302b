// TPMT_SIGNATURE (Part 2 §11.3.4) and TPMT_HA (§10.3.2) against bytes written out by hand.
import { describe, expect, it } from "vitest";
import { marshal, unmarshal } from "../codec/codec.js";
import { TPM_ALG } from "../constants.js";
import { TPMT_HA } from "./basic.js";
import { TPMT_SIG_SCHEME, TPMT_SIGNATURE } from "./signature.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("TPMT_SIGNATURE", () => {
  it("decodes an RSASSA signature: sigAlg, hash, then the signature as a TPM2B (§11.3.1)", () => {
    const sig = "5a".repeat(256);
    expect(unmarshal(TPMT_SIGNATURE, hex(`0014 000b 0100 ${sig}`))).toStrictEqual({
      sigAlg: TPM_ALG.RSASSA,
      hash: TPM_ALG.SHA256,
      sig: hex(sig),
    });
  });

  it("decodes an ECDSA signature: sigAlg, hash, then r and s as TPM2Bs (§11.3.2)", () => {
    const r = "11".repeat(32);
    const s = "22".repeat(32);
    expect(unmarshal(TPMT_SIGNATURE, hex(`0018 000b 0020 ${r} 0020 ${s}`))).toStrictEqual({
      sigAlg: TPM_ALG.ECDSA,
      hash: TPM_ALG.SHA256,
      signatureR: hex(r),
      signatureS: hex(s),
    });
  });

  it("encodes an HMAC signature as sigAlg followed by a TPMT_HA (§11.3.3)", () => {
    const digest = "33".repeat(32);
    const value = { sigAlg: TPM_ALG.HMAC, hmac: { hashAlg: TPM_ALG.SHA256, digest: hex(digest) } } as const;
    expect(toHex(marshal(TPMT_SIGNATURE, value))).toBe(toHex(hex(`0005 000b ${digest}`)));
  });

  it("decodes the NULL signature as its algorithm alone", () => {
    expect(unmarshal(TPMT_SIGNATURE, hex("0010"))).toStrictEqual({ sigAlg: TPM_ALG.NULL });
  });

  it("refuses an ECC signature component longer than a P-521 coordinate (66 bytes)", () => {
    expect(() => unmarshal(TPMT_SIGNATURE, hex(`0018 000b 0043 ${"00".repeat(67)} 0000`))).toThrow(
      "size 67 exceeds the maximum of 66",
    );
  });

  it("refuses a signature algorithm it does not know", () => {
    expect(() => unmarshal(TPMT_SIGNATURE, hex("0001 000b 0000"))).toThrow(/sigAlg 0x0001 is not one of/);
  });
});

describe("TPMT_HA", () => {
  it("takes the digest length from the hash algorithm (SHA-1: 20 bytes)", () => {
    const digest = "44".repeat(20);
    expect(unmarshal(TPMT_HA, hex(`0004 ${digest}`))).toStrictEqual({
      hashAlg: TPM_ALG.SHA1,
      digest: hex(digest),
    });
    expect(() => unmarshal(TPMT_HA, hex(`0004 ${"44".repeat(19)}`))).toThrow(/needs 20 more byte/);
  });
});

describe("TPMT_SIG_SCHEME", () => {
  it("encodes ECDAA with its commit count after the hash (§11.2.1.5, §11.2.1.3)", () => {
    const value = { scheme: TPM_ALG.ECDAA, hashAlg: TPM_ALG.SHA256, count: 1 } as const;
    expect(toHex(marshal(TPMT_SIG_SCHEME, value))).toBe("001a000b0001");
  });
});
