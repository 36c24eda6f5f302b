// TPMS_CAPABILITY_DATA (Part 2 §10.10.2) as TPM2_GetCapability returns it, written out by hand.
import { describe, expect, it } from "vitest";
import { unmarshal } from "../codec/codec.js";
import { TPM_ALG, TPM_CAP, TPM_PT } from "../constants.js";
import { TPMS_CAPABILITY_DATA } from "./capability.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("TPMS_CAPABILITY_DATA", () => {
  it("decodes TPM properties as (property, value) pairs (§10.8.2, §10.9.8)", () => {
    // TPM_PT_MANUFACTURER "IBM\0" and TPM_PT_MAX_RESPONSE_SIZE 4096.
    const bytes = hex("00000006 00000002 00000105 49424d00 0000011f 00001000");
    expect(unmarshal(TPMS_CAPABILITY_DATA, bytes)).toStrictEqual({
      capability: TPM_CAP.TPM_PROPERTIES,
      data: [
        { property: TPM_PT.MANUFACTURER, value: 0x49424d00 },
        { property: TPM_PT.MAX_RESPONSE_SIZE, value: 4096 },
      ],
    });
  });

  it("decodes a handle list (§10.9.4 TPML_HANDLE)", () => {
    const bytes = hex("00000001 00000002 81010001 81010016");
    expect(unmarshal(TPMS_CAPABILITY_DATA, bytes)).toStrictEqual({
      capability: TPM_CAP.HANDLES,
      data: [0x81010001, 0x81010016],
    });
  });

  it("decodes the allocated PCR banks (§10.9.7)", () => {
    const bytes = hex("00000005 00000001 000b 03 ffffff");
    expect(unmarshal(TPMS_CAPABILITY_DATA, bytes)).toStrictEqual({
      capability: TPM_CAP.PCRS,
      data: [{ hash: TPM_ALG.SHA256, pcrSelect: hex("ffffff") }],
    });
  });

  it("refuses a list count that no 4 KiB response could carry", () => {
    expect(() => unmarshal(TPMS_CAPABILITY_DATA, hex("00000001 00000401"))).toThrow(
      "count 1025 exceeds the maximum of 1024",
    );
  });

  it("refuses a capability whose layout it does not know, rather than guess", () => {
    expect(() => unmarshal(TPMS_CAPABILITY_DATA, hex("00000003 00000000"))).toThrow(
      /capability 0x0003 is not one of/,
    );
  });
});
