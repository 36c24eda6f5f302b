// TPMS_ATTEST (Part 2 §10.12.12) for a quote, written out by hand from the specification.
import { describe, expect, it } from "vitest";
import { marshal, unmarshal } from "../codec/codec.js";
import { TPM_ALG, TPM_GENERATED_VALUE, TPM_ST } from "../constants.js";
import { TPMS_ATTEST, type TpmsAttest } from "./attest.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const SIGNER = `000b${"a1".repeat(32)}`;
const PCR_DIGEST = "c3".repeat(32);
// magic TPM_GENERATED_VALUE (§6.2) | type TPM_ST_ATTEST_QUOTE (§6.9) | qualifiedSigner TPM2B_NAME |
// extraData TPM2B_DATA | clockInfo (§10.11.1: clock u64, resetCount, restartCount, safe) |
// firmwareVersion u64 | TPMS_QUOTE_INFO (§10.12.1: TPML_PCR_SELECTION, TPM2B_DIGEST).
const QUOTE = hex(`
  ff544347
  8018
  0022 ${SIGNER}
  0004 deadbeef
  0000000000012345 00000003 00000002 01
  0001000200030004
  00000001 000b 03 ff0000
  0020 ${PCR_DIGEST}`);
const QUOTE_VALUE: TpmsAttest = {
  magic: TPM_GENERATED_VALUE,
  type: TPM_ST.ATTEST_QUOTE,
  qualifiedSigner: hex(SIGNER),
  extraData: hex("deadbeef"),
  clockInfo: { clock: 0x12345n, resetCount: 3, restartCount: 2, safe: true },
  firmwareVersion: 0x0001000200030004n,
  attested: {
    pcrSelect: [{ hash: TPM_ALG.SHA256, pcrSelect: hex("ff0000") }],
    pcrDigest: hex(PCR_DIGEST),
  },
};

describe("TPMS_ATTEST", () => {
  it("decodes a quote of PCRs 0-7 in the SHA-256 bank", () => {
    expect(unmarshal(TPMS_ATTEST, QUOTE)).toStrictEqual(QUOTE_VALUE);
  });

  it("encodes the quote to the same bytes", () => {
    expect(toHex(marshal(TPMS_ATTEST, QUOTE_VALUE))).toBe(toHex(QUOTE));
  });

  it("refuses a structure without TPM_GENERATED_VALUE, which the TPM did not make", () => {
    const forged = QUOTE.slice();
    forged[3] = 0x48;
    expect(() => unmarshal(TPMS_ATTEST, forged)).toThrow("0xff544348 is not a valid TPM_GENERATED");
  });

  it("refuses an attestation type it does not know", () => {
    const other = QUOTE.slice();
    other[5] = 0x1b; // 0x801b is not an attestation structure tag
    expect(() => unmarshal(TPMS_ATTEST, other)).toThrow(/type 0x801b is not one of/);
  });

  it("refuses a clockInfo.safe that is neither YES nor NO", () => {
    const bad = QUOTE.slice();
    bad[4 + 2 + 36 + 6 + 16] = 2;
    expect(() => unmarshal(TPMS_ATTEST, bad)).toThrow("TPMI_YES_NO must be 0 or 1, got 2");
  });

  it("decodes a certify structure (§10.12.3)", () => {
    const bytes = hex(`ff544347 8017 0000 0000 0000000000000001 00000000 00000000 00 0000000000000000
      0004 40000001 0004 40000007`);
    expect(unmarshal(TPMS_ATTEST, bytes)).toMatchObject({
      type: TPM_ST.ATTEST_CERTIFY,
      attested: { name: hex("40000001"), qualifiedName: hex("40000007") },
    });
  });
});
