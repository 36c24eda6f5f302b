// TPML_PCR_SELECTION (Part 2 §10.9.7, §10.6.2) and TPML_DIGEST (§10.9.3), written out by hand.
import { describe, expect, it } from "vitest";
import { marshal, TpmEncodeError, unmarshal } from "../codec/codec.js";
import { TPM_ALG } from "../constants.js";
import { TPML_DIGEST, TPML_PCR_SELECTION } from "./pcr.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("TPML_PCR_SELECTION", () => {
  // §10.6.2: PCR n is bit (n mod 8) of octet (n / 8) of pcrSelect. SHA-256 PCRs 0-7, SHA-1 PCR 16.
  const BYTES = hex("00000002  000b 03 ff0000  0004 03 000001");
  const VALUE = [
    { hash: TPM_ALG.SHA256, pcrSelect: hex("ff0000") },
    { hash: TPM_ALG.SHA1, pcrSelect: hex("000001") },
  ];

  it("decodes two banks", () => {
    expect(unmarshal(TPML_PCR_SELECTION, BYTES)).toStrictEqual(VALUE);
  });

  it("encodes two banks to the same bytes", () => {
    expect(toHex(marshal(TPML_PCR_SELECTION, VALUE))).toBe(toHex(BYTES));
  });

  it("decodes an empty selection", () => {
    expect(unmarshal(TPML_PCR_SELECTION, hex("00000000"))).toStrictEqual([]);
  });

  it("refuses more banks than HASH_COUNT allows (16)", () => {
    expect(() => unmarshal(TPML_PCR_SELECTION, hex("00000011"))).toThrow(
      "count 17 exceeds the maximum of 16",
    );
  });

  it("refuses a sizeofSelect above 32 octets (256 PCRs)", () => {
    expect(() => unmarshal(TPML_PCR_SELECTION, hex(`00000001 000b 21 ${"ff".repeat(33)}`))).toThrow(
      "sizeofSelect 33 exceeds the maximum of 32",
    );
  });

  it("refuses to encode a selection without its pcrSelect bitmap with TpmEncodeError", () => {
    const missing = [{ hash: TPM_ALG.SHA256 }] as unknown as typeof VALUE;
    expect(() => marshal(TPML_PCR_SELECTION, missing)).toThrow(TpmEncodeError);
  });
});

describe("TPML_DIGEST", () => {
  it("decodes digests of different lengths, each a TPM2B", () => {
    const bytes = hex(`00000002 0020 ${"01".repeat(32)} 0014 ${"02".repeat(20)}`);
    expect(unmarshal(TPML_DIGEST, bytes)).toStrictEqual([hex("01".repeat(32)), hex("02".repeat(20))]);
  });

  it("refuses more than the 8 digests PCR_Read and PolicyOR use", () => {
    expect(() => unmarshal(TPML_DIGEST, hex("00000009"))).toThrow("count 9 exceeds the maximum of 8");
  });

  it("refuses a digest longer than SHA-512", () => {
    expect(() => unmarshal(TPML_DIGEST, hex(`00000001 0041 ${"00".repeat(65)}`))).toThrow(
      "size 65 exceeds the maximum of 64",
    );
  });
});
