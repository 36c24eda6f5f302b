import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TPM_ALG } from "../constants.js";
import { NameError, nvIndexName, objectName, parseName } from "./name.js";
import { parsePublicArea } from "./public-area.js";
import {
  ECC_AK_NAME,
  ECC_AK_PUB,
  NV_INDEX,
  RSA_AK_NAME,
  RSA_AK_PUB,
  RSA_EK_NAME,
  RSA_EK_PUB,
} from "./testdata/tpm2-tools.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("object Names (Part 1 §16)", () => {
  it.each([
    ["the RSA EK", RSA_EK_PUB, RSA_EK_NAME],
    ["the RSA AK", RSA_AK_PUB, RSA_AK_NAME],
    ["the ECC AK", ECC_AK_PUB, ECC_AK_NAME],
  ])("equals the Name tpm2-tools printed for %s", (_what, pub, name) => {
    expect(hex(objectName(parsePublicArea(pub)))).toBe(hex(name));
  });

  it("is nameAlg ‖ H(TPMT_PUBLIC), the TPM2B_PUBLIC without its size field", () => {
    const expected = `000b${createHash("sha256").update(RSA_AK_PUB.subarray(2)).digest("hex")}`;
    expect(hex(objectName(parsePublicArea(RSA_AK_PUB)))).toBe(expected);
  });

  it("uses SHA-384 for a SHA-384 nameAlg", () => {
    const pub = { ...parsePublicArea(RSA_AK_PUB), nameAlg: TPM_ALG.SHA384 };
    const name = objectName(pub);
    expect(name.length).toBe(50);
    expect(hex(name.subarray(0, 2))).toBe("000c");
  });

  it("refuses a nameAlg it cannot compute", () => {
    const pub = { ...parsePublicArea(RSA_AK_PUB), nameAlg: TPM_ALG.SM3_256 };
    expect(() => objectName(pub)).toThrow(expect.objectContaining({ code: "TPM_ALG_UNSUPPORTED" }));
  });
});

describe("NV index Names (Part 1 §16)", () => {
  it("equals the Name tpm2_nvreadpublic printed", () => {
    const name = nvIndexName({
      nvIndex: NV_INDEX.nvIndex,
      nameAlg: NV_INDEX.nameAlg,
      attributes: NV_INDEX.attributes,
      authPolicy: new Uint8Array(0),
      dataSize: NV_INDEX.dataSize,
    });
    expect(hex(name)).toBe(hex(NV_INDEX.name));
  });
});

describe("parseName", () => {
  it("splits a well-formed Name", () => {
    const { hashAlg, digest } = parseName(RSA_AK_NAME);
    expect(hashAlg).toBe(TPM_ALG.SHA256);
    expect(hex(digest)).toBe(hex(RSA_AK_NAME.subarray(2)));
  });

  it.each([
    ["a truncated digest", RSA_AK_NAME.subarray(0, 33)],
    ["a trailing byte", Buffer.concat([RSA_AK_NAME, Buffer.from([0])])],
    ["an unknown hash", Buffer.from(`0012${"00".repeat(32)}`, "hex")],
    ["a handle", Buffer.from("81010001", "hex")],
    ["nameAlg NULL", Buffer.from("0010", "hex")],
    ["nothing", Buffer.alloc(0)],
  ])("refuses %s with NameError", (_what, bytes) => {
    expect(() => parseName(new Uint8Array(bytes))).toThrow(NameError);
  });
});
