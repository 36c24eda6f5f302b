import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  byteStringHead,
  CborTag,
  type CborValue,
  decodeCbor,
  decodeSequence,
  encodeCbor,
  readSequence,
  requireVersion,
  type SequenceItem,
} from "./cbor.js";
import { CborError, FormatVersionError } from "./errors.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

/** The code of the error `f` throws (fails the test if it throws nothing). */
function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code ?? `no code: ${String(e)}`;
  }
  throw new Error("expected an error");
}

// RFC 8949 Appendix A: value and its encoding, copied from the RFC's table.
const appendixA: [string, CborValue, string][] = [
  ["0", 0, "00"],
  ["1", 1, "01"],
  ["10", 10, "0a"],
  ["23", 23, "17"],
  ["24", 24, "1818"],
  ["25", 25, "1819"],
  ["100", 100, "1864"],
  ["1000", 1000, "1903e8"],
  ["1000000", 1000000, "1a000f4240"],
  ["1000000000000", 1000000000000, "1b000000e8d4a51000"],
  ["-1", -1, "20"],
  ["-10", -10, "29"],
  ["-100", -100, "3863"],
  ["-1000", -1000, "3903e7"],
  ["false", false, "f4"],
  ["true", true, "f5"],
  ["null", null, "f6"],
  ["h''", new Uint8Array(0), "40"],
  ["h'01020304'", unhex("01020304"), "4401020304"],
  ['""', "", "60"],
  ['"a"', "a", "6161"],
  ['"IETF"', "IETF", "6449455446"],
  ['"\\"\\\\"', '"\\', "62225c"],
  ['"\\u00fc"', "\u00fc", "62c3bc"],
  ['"\\u6c34"', "\u6c34", "63e6b0b4"],
  ['"\\ud800\\udd51"', "\ud800\udd51", "64f0908591"],
  ["[]", [], "80"],
  ["[1, 2, 3]", [1, 2, 3], "83010203"],
  ["[1, [2, 3], [4, 5]]", [1, [2, 3], [4, 5]], "8301820203820405"],
  [
    "[1, 2, …, 25]",
    Array.from({ length: 25 }, (_, i) => i + 1),
    "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
  ],
  ["{}", {}, "a0"],
  [
    "{1: 2, 3: 4}",
    new Map([
      [1, 2],
      [3, 4],
    ]),
    "a201020304",
  ],
  ['{"a": 1, "b": [2, 3]}', { a: 1, b: [2, 3] }, "a26161016162820203"],
  ['["a", {"b": "c"}]', ["a", { b: "c" }], "826161a161626163"],
  [
    '{"a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}',
    { a: "A", b: "B", c: "C", d: "D", e: "E" },
    "a56161614161626142616361436164614461656145",
  ],
  ["1(1363896240)", new CborTag(1, 1363896240), "c11a514b67b0"],
  ["23(h'01020304')", new CborTag(23, unhex("01020304")), "d74401020304"],
  ["24(h'6449455446')", new CborTag(24, unhex("6449455446")), "d818456449455446"],
  [
    '32("http://www.example.com")',
    new CborTag(32, "http://www.example.com"),
    "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
  ],
];

describe("deterministic encoding", () => {
  it.each(appendixA)("encodes %s as in RFC 8949 Appendix A", (_name, value, expected) => {
    expect(hex(encodeCbor(value))).toBe(expected);
  });

  it.each(appendixA)("decodes the RFC 8949 Appendix A encoding of %s", (_name, value, encoded) => {
    expect(decodeCbor(unhex(encoded), { allowTags: [1, 23, 24, 32] })).toEqual(value);
  });

  it("sorts map keys by their encoded bytes (RFC 8949 §4.2.1 example order)", () => {
    // §4.2.1: 10, 100, -1, "z", "aa" (the profile has no array or false keys).
    const m = new Map<number | string, CborValue>([
      ["aa", 0],
      [-1, 0],
      ["z", 0],
      [100, 0],
      [10, 0],
    ]);
    expect(hex(encodeCbor(m))).toBe("a5 0a00 186400 2000 617a00 62616100".replace(/ /g, ""));
  });

  it("sorts text keys shorter-first, as their length prefix dictates", () => {
    expect(hex(encodeCbor({ bb: 1, c: 2, a: 3 }))).toBe("a3 616103 616302 62626201".replace(/ /g, ""));
  });

  it("writes integers beyond 32 bits as integers, never as floats", () => {
    expect(hex(encodeCbor(2 ** 32))).toBe("1b0000000100000000");
    expect(hex(encodeCbor(-(2 ** 32)))).toBe("3affffffff");
    expect(hex(encodeCbor(-(2 ** 32) - 1))).toBe("3b0000000100000000");
    expect(hex(encodeCbor(Number.MAX_SAFE_INTEGER))).toBe("1b001fffffffffffff");
  });

  it("writes a Buffer as a plain byte string, without a typed-array tag", () => {
    expect(hex(encodeCbor(Buffer.from([1, 2])))).toBe("420102");
  });

  it.each([
    ["a float", 1.5],
    ["NaN", Number.NaN],
    ["an unsafe integer", 2 ** 53],
    ["undefined in an object", { a: undefined } as unknown as CborValue],
    ["a Date", new Date(0) as unknown as CborValue],
    ["a bigint", 1n as unknown as CborValue],
    ["a Uint16Array", new Uint16Array(2) as unknown as CborValue],
  ])("refuses to encode %s", (_name, value) => {
    expect(codeOf(() => encodeCbor(value))).toBe("CBOR_UNENCODABLE");
  });
});

describe("strict decoding", () => {
  it.each([
    ["a duplicate text key", "a2616101616102", "CBOR_DUPLICATE_KEY"],
    ["a duplicate integer key", "a201020103", "CBOR_DUPLICATE_KEY"],
    ["a text key repeated after an integer key", "a3 616101 0102 616103", "CBOR_DUPLICATE_KEY"],
    ["an integer key repeated after a text key", "a3 0101 616102 0103", "CBOR_DUPLICATE_KEY"],
    ["an indefinite-length byte string (RFC A)", "5f42010243030405ff", "CBOR_NOT_DETERMINISTIC"],
    ["an indefinite-length text string (RFC A)", "7f657374726561646d696e67ff", "CBOR_NOT_DETERMINISTIC"],
    ["an indefinite-length array (RFC A)", "9f018202039f0405ffff", "CBOR_NOT_DETERMINISTIC"],
    ["an indefinite-length map (RFC A)", "bf61610161629f0203ffff", "CBOR_NOT_DETERMINISTIC"],
    ["23 written in two bytes", "1817", "CBOR_NOT_DETERMINISTIC"],
    ["255 written in three bytes", "1900ff", "CBOR_NOT_DETERMINISTIC"],
    ["a byte-string length written long", "5800", "CBOR_NOT_DETERMINISTIC"],
    ["an unknown tag", "c11a514b67b0", "CBOR_UNKNOWN_TAG"],
    ["tag 259 (cbor-x Map)", "d90103a0", "CBOR_UNKNOWN_TAG"],
    ["tag 64 (typed array)", "d8404101", "CBOR_UNKNOWN_TAG"],
    ["a half float (RFC A 0.0)", "f90000", "CBOR_PROFILE"],
    ["a double (RFC A 1.1)", "fb3ff199999999999a", "CBOR_PROFILE"],
    ["undefined (RFC A)", "f7", "CBOR_PROFILE"],
    ["simple(255) (RFC A)", "f8ff", "CBOR_PROFILE"],
    ["2^53", "1b0020000000000000", "CBOR_PROFILE"],
    ["-2^53", "3b001fffffffffffff", "CBOR_PROFILE"],
    ["a byte-string map key", "a14000", "CBOR_PROFILE"],
    ["trailing bytes", "0000", "CBOR_MALFORMED"],
    ["a truncated integer", "1a0001", "CBOR_MALFORMED"],
    ["a truncated text string", "62c3", "CBOR_MALFORMED"],
    ["a truncated array", "8301", "CBOR_MALFORMED"],
    ["empty input", "", "CBOR_MALFORMED"],
    ["invalid UTF-8", "62c328", "CBOR_MALFORMED"],
    ["reserved additional information", "1c", "CBOR_MALFORMED"],
    ["a lone break", "ff", "CBOR_MALFORMED"],
    ["a 4 GiB byte string", "5affffffff00", "CBOR_LIMIT"],
    ["an array of 2^53 − 1 items", "9b001fffffffffffff", "CBOR_LIMIT"],
    ["arrays nested 100 deep", `${"81".repeat(100)}00`, "CBOR_LIMIT"],
  ])("refuses %s", (_name, encoded, code) => {
    expect(codeOf(() => decodeCbor(unhex(encoded)))).toBe(code);
  });

  it("allows a tag the caller names", () => {
    expect(decodeCbor(unhex("d24101"), { allowTags: [18] })).toEqual(new CborTag(18, unhex("01")));
  });

  it("applies the caller's limits on bytes, depth and item count", () => {
    expect(codeOf(() => decodeCbor(unhex("4401020304"), { maxBytes: 4 }))).toBe("CBOR_LIMIT");
    expect(decodeCbor(unhex("4401020304"), { maxBytes: 5 })).toEqual(unhex("01020304"));
    expect(codeOf(() => decodeCbor(unhex("818100"), { maxDepth: 1 }))).toBe("CBOR_LIMIT");
    expect(decodeCbor(unhex("818100"), { maxDepth: 2 })).toEqual([[0]]);
    expect(codeOf(() => decodeCbor(unhex("83010203"), { maxItems: 3 }))).toBe("CBOR_LIMIT");
  });

  it("names the offset of the fault", () => {
    expect(() => decodeCbor(unhex("8201f90000"))).toThrow(/at offset 2/);
  });

  it("decodes each text string to its own value, whatever the short-text cache holds", () => {
    // "Aa" and "BB" have the same 31-polynomial hash: the cache must compare the bytes.
    const texts = [
      "Aa",
      "BB",
      "Aa",
      "BB",
      "",
      "x".repeat(24),
      "y".repeat(25),
      "z".repeat(64),
      "w".repeat(65),
    ];
    texts.push("Gerät", "😀", "Aa\u0000");
    expect(decodeCbor(encodeCbor(texts))).toEqual(texts);
    expect(decodeCbor(encodeCbor({ Aa: 1, BB: 2 }))).toEqual({ Aa: 1, BB: 2 });
    // More distinct short strings than the cache keeps: the ones past its bound decode too.
    const many = Array.from({ length: 5000 }, (_, i) => `k${i}`);
    expect(decodeCbor(encodeCbor(many))).toEqual(many);
    expect(decodeCbor(encodeCbor(many))).toEqual(many);
  });

  it("decodes text-keyed maps to plain objects and integer-keyed maps to Map", () => {
    const v = decodeCbor(unhex("a2 6161 01 6162 a1 01 27"));
    expect(v).toEqual({ a: 1, b: new Map([[1, -8]]) });
    expect(Object.getPrototypeOf(v)).toBeNull();
  });

  it("decodes a map with text and integer keys to a Map with every entry, the number 1 apart from the text '1'", () => {
    const v = decodeCbor(unhex("a4 616101 6131 02 01 03 6162 04")) as Map<number | string, CborValue>;
    expect(v).toBeInstanceOf(Map);
    expect(v.size).toBe(4);
    expect([v.get("a"), v.get("1"), v.get(1), v.get("b")]).toEqual([1, 2, 3, 4]);
  });

  it("reads text keys __proto__, constructor and toString as plain entries", () => {
    // {"__proto__": {"x": 1}, "constructor": 2, "toString": 3}
    const v = decodeCbor(
      unhex("a3 695f5f70726f746f5f5f a1617801 6b636f6e7374727563746f7202 68746f537472696e6703"),
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v)).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getOwnPropertyDescriptor(v, "__proto__")?.value).toEqual({ x: 1 });
    expect([v["constructor"], v["toString"]]).toEqual([2, 3]);
    expect(({} as Record<string, unknown>)["x"]).toBeUndefined(); // no prototype was touched
    expect(decodeCbor(unhex("a1 6178 a0")) as object).not.toHaveProperty("hasOwnProperty");
  });
});

describe("CBOR sequences (RFC 8742)", () => {
  const seq = unhex("01 6161 820203 4401020304");
  const values: CborValue[] = [1, "a", [2, 3], unhex("01020304")];

  it("decodes a sequence held in memory, with each item's bytes", () => {
    const items = decodeSequence(seq);
    expect(items.map((i) => i.value)).toEqual(values);
    expect(items.map((i) => hex(i.bytes))).toEqual(["01", "6161", "820203", "4401020304"]);
  });

  it("reads a sequence streamed one byte at a time", async () => {
    const chunks = Array.from(seq, (b) => Uint8Array.of(b));
    const got: CborValue[] = [];
    for await (const item of readSequence(chunks)) got.push(item.value);
    expect(got).toEqual(values);
  });

  it("streams a 4 MiB byte string in 1 KiB chunks, then the next item", async () => {
    const big = new Uint8Array(4 << 20).fill(7);
    const whole = new Uint8Array([...unhex("5a00400000"), ...big, 0x01]);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < whole.length; i += 1024) chunks.push(whole.subarray(i, i + 1024));
    const got: SequenceItem[] = [];
    for await (const item of readSequence(chunks)) got.push(item);
    expect(got).toHaveLength(2);
    expect((got[0]!.value as Uint8Array).length).toBe(4 << 20);
    expect(got[0]!.bytes.length).toBe(5 + (4 << 20));
    expect(got[1]!.value).toBe(1);
  });

  it("refuses a sequence whose last item is cut short", async () => {
    const run = async () => {
      for await (const _ of readSequence([seq.subarray(0, seq.length - 1)])) {
        // drain
      }
    };
    await expect(run()).rejects.toMatchObject({ code: "CBOR_MALFORMED" });
    expect(codeOf(() => decodeSequence(seq.subarray(0, seq.length - 1)))).toBe("CBOR_MALFORMED");
  });

  it("refuses an oversized item before reading its bytes (bounded memory)", async () => {
    function* endless(): Generator<Uint8Array> {
      yield unhex("5a7fffffff"); // a 2 GiB byte string…
      for (;;) yield new Uint8Array(4096); // …that never ends
    }
    const run = async () => {
      for await (const _ of readSequence(endless(), { maxBytes: 1 << 20 })) {
        // drain
      }
    };
    await expect(run()).rejects.toMatchObject({ code: "CBOR_LIMIT" });
  });

  it("yields items lazily from an endless stream", async () => {
    function* endless(): Generator<Uint8Array> {
      for (;;) yield unhex("8301020318ff");
    }
    let n = 0;
    for await (const item of readSequence(endless())) {
      expect(item.value).toEqual(n % 2 === 0 ? [1, 2, 3] : 255);
      if (++n === 1000) break;
    }
    expect(n).toBe(1000);
  });

  it("reports offsets within the whole stream", async () => {
    const run = async () => {
      for await (const _ of readSequence([unhex("0102"), unhex("03f7")])) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow(/at offset 3/);
  });

  it("decodes byte strings into memory of their own, even from a Node Buffer (whose slice() is a view)", () => {
    const input = Buffer.from(unhex("a2 616b 43010203 616c 82 420405 4106"));
    const value = decodeCbor(input) as { k: Uint8Array; l: Uint8Array[] };
    input.fill(0xee);
    expect(hex(value.k)).toBe("010203");
    expect(value.l.map(hex)).toEqual(["0405", "06"]);
    expect(value.k.buffer).not.toBe(input.buffer);
  });

  it("copies each streamed item once: its value's byte strings are views of the item's bytes", async () => {
    const chunk = Buffer.from(unhex("4401020304 a1 6178 420506"));
    const got: SequenceItem[] = [];
    for await (const item of readSequence([chunk])) got.push(item);
    chunk.fill(0xee);
    const [bstr, map] = got as [SequenceItem, SequenceItem];
    expect(hex(bstr.value as Uint8Array)).toBe("01020304");
    expect((bstr.value as Uint8Array).buffer).toBe(bstr.bytes.buffer);
    const x = (map.value as { x: Uint8Array }).x;
    expect(hex(x)).toBe("0506");
    expect(x.buffer).toBe(map.bytes.buffer);
    expect(hex(map.bytes)).toBe("a1617842" + "0506");
  });

  it("refuses more items than maxCount", () => {
    expect(codeOf(() => decodeSequence(seq, { maxCount: 3 }))).toBe("CBOR_LIMIT");
  });

  it("is not fooled by a source that overwrites its buffer once asked for the next chunk", async () => {
    // Like a file read into one reused buffer: every chunk is the same memory, and the
    // previous chunk's bytes are gone when the next one is handed out. Items straddle chunks
    // at every offset, and items already yielded must keep their bytes.
    const items = Array.from({ length: 40 }, (_, i) => new Uint8Array(i * 7).fill(i));
    const whole = Buffer.concat(items.map((b) => encodeCbor(b)));
    // A Buffer too: its slice() is a view, not a copy (unlike Uint8Array's).
    for (const [size, shared] of [1, 5, 64, 300].flatMap((n) => [
      [n, new Uint8Array(n)] as const,
      [n, Buffer.alloc(n)] as const,
    ])) {
      function* reusing(): Generator<Uint8Array> {
        for (let at = 0; at < whole.length; at += size) {
          const n = Math.min(size, whole.length - at);
          shared.set(whole.subarray(at, at + n));
          yield shared.subarray(0, n);
        }
      }
      const got: SequenceItem[] = [];
      for await (const item of readSequence(reusing())) got.push(item);
      expect(got.map((g) => hex(g.value as Uint8Array))).toEqual(items.map(hex));
      expect(got.map((g) => hex(g.bytes))).toEqual(items.map((b) => hex(encodeCbor(b))));
    }
  });
});

describe("byteStringHead", () => {
  it("is the head encodeCbor writes, at each length boundary", () => {
    for (const n of [0, 23, 24, 255, 256, 65535, 65536]) {
      const whole = encodeCbor(new Uint8Array(n));
      expect(hex(byteStringHead(n))).toBe(hex(whole.subarray(0, whole.length - n)));
    }
    // 2^32 - 1 is the largest length this profile writes; its head is 0x5a and four bytes.
    expect(hex(byteStringHead(0xffffffff))).toBe("5affffffff");
  });

  it("refuses lengths it cannot write", () => {
    for (const n of [-1, 1.5, 2 ** 32]) expect(codeOf(() => byteStringHead(n))).toBe("CBOR_UNENCODABLE");
  });
});

describe("requireVersion", () => {
  it("returns a supported version", () => {
    expect(requireVersion({ v: 1 }, [1], "device manifest")).toBe(1);
  });

  it("refuses an unknown version, naming it and the payload", () => {
    expect(() => requireVersion({ v: 7 }, [1, 2], "device manifest")).toThrow(
      /device manifest has format version v=7.*reads v 1, 2/,
    );
    expect(codeOf(() => requireVersion({ v: "1" }, [1], "bundle header"))).toBe("FORMAT_VERSION_UNKNOWN");
  });

  it("refuses a payload without v", () => {
    expect(() => requireVersion({}, [1], "bundle header")).toThrow(FormatVersionError);
    expect(() => requireVersion([1], [1], "bundle header")).toThrow(/has no format version/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: the decoder throws only named errors, and never hangs.

const safeKey = fc.string({ unit: "binary", maxLength: 6 }).filter((k) => k !== "__proto__");
const { value: valueArb } = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.integer({ min: -30, max: 300 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(safeKey, tie("value"), { maxKeys: 5, noNullPrototype: true }),
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -1000, max: 1000 }), tie("value")), {
        maxLength: 4,
        minLength: 1,
        selector: (t) => t[0],
      })
      .map((entries) => new Map<number | string, CborValue>(entries)),
    tie("value").map((v) => new CborTag(18, v)),
  ),
}));

function onlyNamedErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CborError)) throw e;
  }
}

describe("fuzzing", () => {
  it("round-trips every profile value, and re-encodes the decoding byte for byte", () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const bytes = encodeCbor(v);
        const back = decodeCbor(bytes, { allowTags: [18] });
        expect(back).toEqual(v);
        expect(hex(encodeCbor(back))).toBe(hex(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("throws only CborError on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (b) => onlyNamedErrors(() => decodeCbor(b))),
      { numRuns: 3000 },
    );
  });

  it("throws only CborError on mutated and truncated valid encodings", () => {
    fc.assert(
      fc.property(valueArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.nat(), (v, at, xor, cut) => {
        const bytes = encodeCbor(v);
        const mutated = bytes.slice();
        const i = at % mutated.length;
        mutated[i] = mutated[i]! ^ (xor || 1);
        onlyNamedErrors(() => decodeCbor(mutated, { allowTags: [18], maxDepth: 8 }));
        onlyNamedErrors(() => decodeCbor(bytes.subarray(0, cut % bytes.length)));
      }),
      { numRuns: 3000 },
    );
  });

  it("throws only CborError from streamed random sequences, however they are chunked", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), async (chunks) => {
        try {
          for await (const _ of readSequence(chunks, { maxBytes: 256 })) {
            // drain
          }
        } catch (e) {
          if (!(e instanceof CborError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
