// The codec core (Reader, Writer, marshal/unmarshal) and its primitives, on hand-written bytes.
// TPM 2.0 Part 1 §18 and Part 2 §5: integers are big-endian, a TPM2B is a u16 size then bytes.
import { describe, expect, it } from "vitest";
import { TPM2B_DIGEST } from "../structures/basic.js";
import { TPM2B_PUBLIC } from "../structures/public.js";
import {
  marshal,
  Reader,
  TpmDecodeError,
  TpmEncodeError,
  unmarshal,
  unmarshalPrefix,
  Writer,
} from "./codec.js";
import { constant, fixed, list, rest, sized, struct, tpm2b, u8, u16, u32, u64, yesNo } from "./primitives.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("did not throw");
}

describe("Reader", () => {
  it("reads integers big-endian", () => {
    const r = new Reader(hex("01 0203 04050607 08090a0b0c0d0e0f"));
    expect([r.u8(), r.u16(), r.u32(), r.u64()]).toEqual([0x01, 0x0203, 0x04050607, 0x08090a0b0c0d0e0fn]);
    expect(r.remaining).toBe(0);
  });

  it("reads a subarray from its own start, not from the start of the underlying buffer", () => {
    const whole = hex("ffff 0002 aabb ffff");
    expect(toHex(unmarshal(TPM2B_DIGEST, whole.subarray(2, 6)))).toBe("aabb");
  });

  it("refuses to read past the end, saying where and how much was missing", () => {
    const err = thrown(() => new Reader(hex("0102 03")).u32());
    expect(err).toBeInstanceOf(TpmDecodeError);
    expect((err as TpmDecodeError).message).toBe("(top): needs 4 more byte(s) at offset 0, only 3 left");
  });

  it("keeps a sub-reader inside its window", () => {
    const r = new Reader(hex("0001 0203"));
    const sub = r.sub(2);
    expect(sub.u16()).toBe(0x0001);
    expect(() => sub.u8()).toThrow(TpmDecodeError);
    expect(r.u16()).toBe(0x0203);
  });
});

describe("unmarshal", () => {
  it("names the failing field by its dotted path through the structures", () => {
    // TPM2B_PUBLIC (Part 2 §12.2.5) of 8 bytes: type RSA, nameAlg SHA-256, then only 4 bytes of
    // objectAttributes and no authPolicy at all.
    const err = thrown(() => unmarshal(TPM2B_PUBLIC, hex("0008 0001 000b 00030072")));
    expect(err).toBeInstanceOf(TpmDecodeError);
    expect((err as TpmDecodeError).path).toBe("TPM2B_PUBLIC.TPMT_PUBLIC.authPolicy");
    expect((err as TpmDecodeError).code).toBe("TPM_DECODE");
  });

  it("refuses trailing bytes after the structure", () => {
    expect(() => unmarshal(TPM2B_DIGEST, hex("0001 aa bb"))).toThrow(
      "TPM2B_DIGEST: 1 unexpected trailing byte(s) after the structure",
    );
  });

  it.each([
    ["a string", "0001aa"],
    ["an ArrayBuffer", new ArrayBuffer(3)],
    ["null", null],
    ["an array of numbers", [0, 1, 0xaa]],
  ])("refuses %s instead of bytes with TpmDecodeError", (_, input) => {
    expect(() => unmarshal(TPM2B_DIGEST, input as unknown as Uint8Array)).toThrow(TpmDecodeError);
  });

  it("returns bytes that do not alias the input, even when the input is a Node Buffer", () => {
    // Buffer#slice is a view, not a copy: a decoder that slices a Buffer hands out bytes that
    // change when the caller reuses its buffer (a socket's, a file's).
    const input = Buffer.from("0002aabb", "hex");
    const digest = unmarshal(TPM2B_DIGEST, input);
    input.fill(0);
    expect(toHex(digest)).toBe("aabb");
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
  });

  it("returns bytes that do not alias a Uint8Array input", () => {
    const input = hex("0002aabb");
    const digest = unmarshal(TPM2B_DIGEST, input);
    input.fill(0);
    expect(toHex(digest)).toBe("aabb");
  });
});

describe("unmarshalPrefix", () => {
  it("decodes the first value and says how many bytes it used, leaving the rest alone", () => {
    const { value, length } = unmarshalPrefix(TPM2B_DIGEST, hex("0002 aabb ccdd"));
    expect(toHex(value)).toBe("aabb");
    expect(length).toBe(4);
  });
});

describe("Writer", () => {
  it("writes integers big-endian", () => {
    const w = new Writer();
    w.u8(0x01);
    w.u16(0x0203);
    w.u32(0x04050607);
    w.u64(0x08090a0b0c0d0e0fn);
    expect(toHex(w.finish())).toBe("0102030405060708090a0b0c0d0e0f");
  });

  it("grows past its initial buffer without losing what it wrote", () => {
    const w = new Writer();
    const big = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    w.u16(0xabcd);
    w.bytes(big);
    w.u8(0xee);
    const out = w.finish();
    expect(out.length).toBe(1003);
    expect(toHex(out.subarray(0, 4))).toBe("abcd0001");
    expect(out[1002]).toBe(0xee);
  });

  it.each([
    ["u8", 256],
    ["u8", -1],
    ["u16", 0x10000],
    ["u16", 1.5],
    ["u32", 0x100000000],
    ["u32", Number.NaN],
    ["u32", "7"],
  ] as const)("refuses %s(%s) with TpmEncodeError", (method, v) => {
    const w = new Writer();
    expect(() => (w[method] as (v: unknown) => void)(v)).toThrow(TpmEncodeError);
  });

  it.each([[-1n], [0x1_0000_0000_0000_0000n], [1]])("refuses u64(%s) with TpmEncodeError", (v) => {
    expect(() => new Writer().u64(v as bigint)).toThrow(TpmEncodeError);
  });

  it("refuses a sized structure longer than a u16 size field can say", () => {
    const huge = sized("HUGE", struct("INNER", { body: fixed("body", 0x10000) }));
    expect(() => marshal(huge, { body: new Uint8Array(0x10000) })).toThrow(/size 65536 does not fit/);
  });
});

describe("marshal", () => {
  it("names the failing field by its dotted path", () => {
    const codec = struct("OUTER", { inner: struct("INNER", { n: u16 }) });
    const err = thrown(() => marshal(codec, { inner: { n: 0x10000 } }));
    expect(err).toBeInstanceOf(TpmEncodeError);
    expect((err as TpmEncodeError).path).toBe("OUTER.inner.n");
  });

  it("refuses a TPM2B longer than its maximum", () => {
    expect(() => marshal(tpm2b("TPM2B_X", 4), new Uint8Array(5))).toThrow("5 bytes exceed the maximum of 4");
  });

  it("refuses a list longer than its maximum", () => {
    expect(() => marshal(list("TPML_X", u8, 2), [1, 2, 3])).toThrow("3 items exceed the maximum of 2");
  });

  // Values reach marshal from JSON configuration and hand-built templates, so a missing field
  // must be reported like any other bad value, not as "cannot read properties of undefined".
  it.each([
    ["constant (TPMS_ATTEST.magic)", constant("TPM_GENERATED", u32, 0xff544347)],
    ["fixed (a TPMT_HA digest)", fixed("sha256", 32)],
    ["rest (TPMS_ID_OBJECT.encIdentity)", rest("encIdentity", 66)],
    ["tpm2b", tpm2b("TPM2B_X", 4)],
    ["u16", u16],
    ["u64", u64],
    ["list", list("TPML_X", u8, 2)],
  ])("refuses a missing %s with TpmEncodeError", (_, codec) => {
    for (const missing of [undefined, null]) {
      const err = thrown(() => marshal(codec as typeof u16, missing as unknown as number));
      expect(err, `${String(missing)}: ${String(err)}`).toBeInstanceOf(TpmEncodeError);
    }
  });
});

describe("primitives", () => {
  it("decodes TPMI_YES_NO only from 0 or 1", () => {
    expect(unmarshal(yesNo, hex("00"))).toBe(false);
    expect(unmarshal(yesNo, hex("01"))).toBe(true);
    expect(() => unmarshal(yesNo, hex("02"))).toThrow("TPMI_YES_NO must be 0 or 1, got 2");
  });

  it("refuses a constant field holding another value", () => {
    const magic = constant("TPM_GENERATED", u32, 0xff544347);
    expect(() => unmarshal(magic, hex("ff544348"))).toThrow("0xff544348 is not a valid TPM_GENERATED");
  });

  it("refuses a TPM2B size above its maximum before reading the body", () => {
    expect(() => unmarshal(tpm2b("TPM2B_X", 4), hex("0005 0102030405"))).toThrow(
      "size 5 exceeds the maximum of 4",
    );
  });

  it("refuses a sized structure of size 0", () => {
    expect(() => unmarshal(TPM2B_PUBLIC, hex("0000"))).toThrow("size is 0 but a TPMT_PUBLIC is required");
  });

  it("refuses a list count above its maximum without reading the items", () => {
    expect(() => unmarshal(list("TPML_X", u8, 2), hex("ffffffff"))).toThrow(
      "count 4294967295 exceeds the maximum of 2",
    );
  });

  it("lets rest() take what is left of the enclosing region, up to its maximum", () => {
    const codec = sized("TPM2B_X", struct("X", { head: u8, tail: rest("tail", 3) }));
    expect(unmarshal(codec, hex("0004 01 aabbcc"))).toEqual({ head: 1, tail: hex("aabbcc") });
    expect(() => unmarshal(codec, hex("0005 01 aabbccdd"))).toThrow("4 bytes exceed the maximum of 3");
  });
});
