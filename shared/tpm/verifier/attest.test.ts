import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TPM_ALG, TPM_ST } from "../constants.js";
import { AttestError, parseAttest } from "./attest.js";
import { ECC_QUOTE, RSA_QUOTE } from "./testdata/tpm2-tools.js";

const codeOf = (bytes: Uint8Array): string => {
  try {
    parseAttest(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(AttestError);
    return (e as AttestError).code;
  }
  return "ok";
};

describe("parseAttest", () => {
  it("reads the TPMS_ATTEST tpm2_quote wrote", () => {
    const a = parseAttest(RSA_QUOTE.message);
    expect(a.type).toBe(TPM_ST.ATTEST_QUOTE);
    if (a.type !== TPM_ST.ATTEST_QUOTE) return;
    expect(Buffer.from(a.extraData).toString("hex")).toBe("0102030405060708");
    expect(a.attested.pcrSelect.map((s) => s.hash)).toEqual([TPM_ALG.SHA256, TPM_ALG.SHA1]);
    expect(a.attested.pcrDigest.length).toBe(32);
  });

  it("refuses data that does not start with TPM_GENERATED_VALUE", () => {
    const b = Uint8Array.from(ECC_QUOTE.message);
    b[3] = 0x48;
    expect(codeOf(b)).toBe("ATTEST_NOT_TPM_GENERATED");
    expect(() => parseAttest(b)).toThrow(/starts with 0xFF544348, not TPM_GENERATED_VALUE 0xFF544347/);
  });

  it("refuses every truncation and a trailing byte as ATTEST_MALFORMED", () => {
    for (let n = 0; n < ECC_QUOTE.message.length; n++) {
      expect(codeOf(ECC_QUOTE.message.subarray(0, n)), `first ${n} bytes`).toBe("ATTEST_MALFORMED");
    }
    expect(codeOf(new Uint8Array(Buffer.concat([ECC_QUOTE.message, Buffer.from([0])])))).toBe(
      "ATTEST_MALFORMED",
    );
  });

  it("refuses an unknown attestation type", () => {
    const b = Uint8Array.from(ECC_QUOTE.message);
    b[5] = 0x7f; // 0x807f
    expect(codeOf(b)).toBe("ATTEST_MALFORMED");
  });

  it("throws only AttestError for arbitrary bytes after the magic", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        expect(codeOf(new Uint8Array(Buffer.concat([Buffer.from("ff544347", "hex"), tail])))).toMatch(
          /^(ok|ATTEST_MALFORMED)$/,
        );
      }),
      { numRuns: 500 },
    );
  });
});
