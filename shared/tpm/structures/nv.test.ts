// TPM2B_NV_PUBLIC (Part 2 §13.6, §13.5), written out by hand.
import { describe, expect, it } from "vitest";
import { marshal, unmarshal } from "../codec/codec.js";
import { TPM_ALG } from "../constants.js";
import { TPM2B_NV_PUBLIC } from "./nv.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("TPM2B_NV_PUBLIC", () => {
  // The RSA EK certificate index 0x01C00002 as swtpm_setup defines it: TPMA_NV 0x62072001
  // (ppwrite|writedefine|ppread|ownerread|authread|no_da|written|platformcreate, §13.4),
  // no policy, 1280 bytes. size | nvIndex | nameAlg | attributes | authPolicy | dataSize.
  const BYTES = hex("000e 01c00002 000b 62072001 0000 0500");
  const VALUE = {
    nvIndex: 0x01c00002,
    nameAlg: TPM_ALG.SHA256,
    attributes: 0x62072001,
    authPolicy: new Uint8Array(),
    dataSize: 1280,
  };

  it("decodes an EK certificate index", () => {
    expect(unmarshal(TPM2B_NV_PUBLIC, BYTES)).toStrictEqual(VALUE);
  });

  it("encodes it to the same bytes", () => {
    expect(toHex(marshal(TPM2B_NV_PUBLIC, VALUE))).toBe(toHex(BYTES));
  });

  it("refuses a size field that disagrees with the structure", () => {
    expect(() => unmarshal(TPM2B_NV_PUBLIC, hex("000f 01c00002 000b 62072001 0000 0500 00"))).toThrow(
      "size field says 15 but the TPMS_NV_PUBLIC uses 14",
    );
  });
});
