import { describe, expect, it } from "vitest";
import { TPM_ALG } from "../constants.js";
import { KdfError, kdfa, kdfe } from "./kdf.js";
import { refKdfa, refKdfe } from "./testdata/reference.js";

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const seed = Buffer.from("5b1e2c9a77d04f1e8a6b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f", "hex");
const name = Buffer.from(`000b${"ab".repeat(32)}`, "hex");
const empty = Buffer.alloc(0);

describe("KDFa (Part 1 §11.4.10.2)", () => {
  it("matches the KDFa self-test vector of the TCG reference code (as published in wolfTPM's tests)", () => {
    // SHA-256, key 271FA0…DA0C, label "KDFSELFTESTLABEL", 160 bits.
    const out = kdfa(
      TPM_ALG.SHA256,
      hex("271FA08BBDC5060EC3DFA928FF9B73123A12DA0C"),
      "KDFSELFTESTLABEL",
      hex("CE244F395DCA7391"),
      hex("DA504031DDF12E83"),
      160,
    );
    expect(Buffer.from(out).toString("hex")).toBe("bb0259e1c8ba607e6a2cd704b69a902e9ade84c4");
  });

  it.each([
    ["sha256", TPM_ALG.SHA256, 128],
    ["sha256", TPM_ALG.SHA256, 256],
    ["sha256", TPM_ALG.SHA256, 520], // three blocks
    ["sha384", TPM_ALG.SHA384, 256],
    ["sha384", TPM_ALG.SHA384, 384],
    ["sha512", TPM_ALG.SHA512, 1000],
    ["sha1", TPM_ALG.SHA1, 200],
  ])("derives the STORAGE key like the formula with %s for %i bits", (node, alg, bits) => {
    expect(Buffer.from(kdfa(alg, seed, "STORAGE", name, empty, bits))).toEqual(
      refKdfa(node, seed, "STORAGE", name, empty, bits),
    );
  });

  it("puts contextU before contextV", () => {
    const u = Buffer.from("01");
    const v = Buffer.from("02");
    expect(Buffer.from(kdfa(TPM_ALG.SHA256, seed, "X", u, v, 256))).toEqual(
      refKdfa("sha256", seed, "X", u, v, 256),
    );
    expect(Buffer.from(kdfa(TPM_ALG.SHA256, seed, "X", v, u, 256))).not.toEqual(
      refKdfa("sha256", seed, "X", u, v, 256),
    );
  });

  it("returns ⌈bits/8⌉ bytes and clears the unused high bits of the first byte", () => {
    const out = kdfa(TPM_ALG.SHA256, seed, "INTEGRITY", empty, empty, 13);
    expect(out.length).toBe(2);
    expect((out[0] as number) >> 5).toBe(0);
    expect(Buffer.from(out)).toEqual(refKdfa("sha256", seed, "INTEGRITY", empty, empty, 13));
  });

  it("treats a label given with its NUL terminator like the bare label", () => {
    expect(kdfa(TPM_ALG.SHA256, seed, "STORAGE\0", name, empty, 128)).toEqual(
      kdfa(TPM_ALG.SHA256, seed, "STORAGE", name, empty, 128),
    );
  });

  it.each([0, -8, 1.5, 65536 * 8 + 1])("refuses an output length of %d bits", (bits) => {
    expect(() => kdfa(TPM_ALG.SHA256, seed, "STORAGE", name, empty, bits)).toThrow(KdfError);
  });

  it("refuses a hash it does not implement with a typed error", () => {
    expect(() => kdfa(TPM_ALG.SM3_256, seed, "STORAGE", name, empty, 128)).toThrow(
      expect.objectContaining({ code: "TPM_ALG_UNSUPPORTED" }),
    );
  });
});

describe("KDFe (Part 1 §11.4.10.3)", () => {
  it("matches the published KDFe known answer (wolfTPM's test: SHA-256, Z = 01…20, IDENTITY)", () => {
    const z = new Uint8Array(32).map((_, i) => i + 1);
    const out = kdfe(TPM_ALG.SHA256, z, "IDENTITY", hex("AABBCCDDEEFF0011"), hex("2233445566778899"), 256);
    expect(Buffer.from(out).toString("hex")).toBe(
      "36a3bc515fe012b81bac81d621837475b917f89bcd94d4a3a37f3149aae29ba1",
    );
  });

  const z = Buffer.from("c0ffee".repeat(22), "hex"); // a 66-byte Z, as from P-521
  const ephX = Buffer.from("11".repeat(48), "hex");
  const ekX = Buffer.from("22".repeat(48), "hex");
  it.each([
    ["sha256", TPM_ALG.SHA256, 256],
    ["sha384", TPM_ALG.SHA384, 384],
    ["sha256", TPM_ALG.SHA256, 600], // three blocks
    ["sha512", TPM_ALG.SHA512, 12], // masked
  ])("derives the IDENTITY seed like the formula with %s for %i bits", (node, alg, bits) => {
    expect(Buffer.from(kdfe(alg, z, "IDENTITY", ephX, ekX, bits))).toEqual(
      refKdfe(node, z, "IDENTITY", ephX, ekX, bits),
    );
  });

  it("puts partyUInfo (ephemeral x) before partyVInfo (EK x)", () => {
    expect(Buffer.from(kdfe(TPM_ALG.SHA256, z, "IDENTITY", ekX, ephX, 256))).not.toEqual(
      refKdfe("sha256", z, "IDENTITY", ephX, ekX, 256),
    );
  });

  it("refuses an output length of 0 bits", () => {
    expect(() => kdfe(TPM_ALG.SHA256, z, "IDENTITY", ephX, ekX, 0)).toThrow(KdfError);
  });
});
