// The DER reader against encodings openssl makes (`openssl asn1parse -genstr`), against X.690's
// rules for what is not DER, and against random bytes: every failure is a DerError.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  bitStringFlags,
  children,
  contentOf,
  readBitString,
  readBitStringOctets,
  readBoolean,
  readIntegerBigInt,
  readIntegerHex,
  readOctetString,
  readOid,
  readSmallInteger,
  readString,
  readTime,
  readTlv,
  TAG,
  walkDer,
} from "./der.js";
import { DerError } from "./errors.js";

const tmp = mkdtempSync(join(tmpdir(), "der-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The DER openssl generates for an ASN1_generate_nconf string, e.g. "OID:2.23.133.8.1". */
function genstr(spec: string): Uint8Array {
  const out = join(tmp, "out.der");
  execFileSync("openssl", ["asn1parse", "-genstr", spec, "-noout", "-out", out]);
  return new Uint8Array(readFileSync(out));
}

const hex = (s: string) => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));

function derError(f: () => unknown): DerError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DerError);
    return e as DerError;
  }
  throw new Error("expected a DerError");
}

describe("readTlv", () => {
  it("reads a short-form header: tag, class, form, extent", () => {
    const t = readTlv(hex("30 03 02 01 05"), 0);
    expect(t).toEqual({
      tag: 16,
      cls: "universal",
      constructed: true,
      start: 0,
      headerLength: 2,
      length: 3,
      end: 5,
    });
  });

  it("reads long-form lengths as openssl writes them (200-byte OCTET STRING: 0x81 0xC8)", () => {
    const der = genstr(`FORMAT:HEX,OCT:${"00".repeat(200)}`);
    const t = readTlv(der, 0);
    expect([t.tag, t.headerLength, t.length, t.end]).toEqual([TAG.OCTET_STRING, 3, 200, der.length]);
  });

  it("reads context-specific tags, implicit and explicit, as openssl writes them", () => {
    const implicit = readTlv(genstr("IMPLICIT:0,OCT:abc"), 0);
    expect([implicit.cls, implicit.tag, implicit.constructed, implicit.length]).toEqual([
      "context",
      0,
      false,
      3,
    ]);
    const bytes = genstr("EXPLICIT:3,NULL");
    const explicit = readTlv(bytes, 0);
    expect([explicit.cls, explicit.tag, explicit.constructed]).toEqual(["context", 3, true]);
    expect(children(bytes, explicit).map((c) => c.tag)).toEqual([TAG.NULL]);
  });

  it("reads high tag numbers ([APPLICATION 300] is 5F 82 2C)", () => {
    const t = readTlv(hex("5f 82 2c 01 00"), 0);
    expect([t.cls, t.tag, t.headerLength, t.length]).toEqual(["application", 300, 4, 1]);
  });

  it("refuses an indefinite length, which BER allows and DER does not", () => {
    expect(derError(() => readTlv(hex("30 80 00 00"), 0)).message).toMatch(/indefinite length/);
  });

  it("refuses more than 4 length octets", () => {
    expect(derError(() => readTlv(hex("04 85 00 00 00 00 01 00"), 0)).message).toMatch(/length of 5 octets/);
  });

  it("refuses a length that runs past the end, and says where", () => {
    const e = derError(() => readTlv(hex("00 00 30 82 01 00 02 01"), 2));
    expect(e.offset).toBe(2);
    expect(e.message).toMatch(/claims 256 bytes of contents but only 2 remain/);
  });

  it("refuses a length that runs past the parent's end even when the buffer goes on", () => {
    expect(() => readTlv(hex("04 05 00 00 00 00 00"), 0, 4)).toThrow(DerError);
  });

  it("refuses truncated headers", () => {
    for (const s of ["", "30", "30 82 01", "1f", "1f 81"]) expect(() => readTlv(hex(s), 0)).toThrow(DerError);
  });

  it("refuses a tag number in the long form that fits the short one", () => {
    expect(() => readTlv(hex("1f 05 00"), 0)).toThrow(/long form/);
  });
});

describe("walkDer", () => {
  const nested = (depth: number) => {
    let der = hex("05 00");
    for (let i = 0; i < depth; i++)
      der = Uint8Array.from([
        0x30,
        ...(der.length < 128 ? [der.length] : [0x82, der.length >> 8, der.length & 0xff]),
        ...der,
      ]);
    return der;
  };

  it("visits every element with its depth", () => {
    const seen: string[] = [];
    walkDer(hex("30 07 02 01 05 31 02 05 00"), (t, d) => seen.push(`${t.tag}@${d}`));
    expect(seen).toEqual(["16@0", "2@1", "17@1", "5@2"]);
  });

  it("accepts nesting up to the limit and refuses deeper nesting", () => {
    expect(() => walkDer(nested(32))).not.toThrow();
    expect(derError(() => walkDer(nested(33))).message).toMatch(/nested deeper than 32 levels/);
    expect(() => walkDer(nested(300))).toThrow(DerError);
  });
});

describe("primitive readers against openssl's encodings", () => {
  it.each([
    "2.23.133.8.1",
    "1.2.840.113549.1.1.11",
    "0.9.2342.19200300.100.1.25",
    "2.999.1",
    "2.25.329800735698586629295641978511506172918",
  ])("OBJECT IDENTIFIER %s", (oid) => {
    const der = genstr(`OID:${oid}`);
    expect(readOid(der, readTlv(der, 0))).toBe(oid);
  });

  it("refuses an OID with a leading 0x80 group or a dangling continuation", () => {
    expect(() => readOid(hex("06 02 80 01"), readTlv(hex("06 02 80 01"), 0))).toThrow(DerError);
    expect(() => readOid(hex("06 02 2a 86"), readTlv(hex("06 02 2a 86"), 0))).toThrow(DerError);
  });

  it("refuses an OID arc of thousands of octets at once, and reads a 60,000-octet INTEGER in linear time", () => {
    const n = 60_000;
    const header = [0x82, n >> 8, n & 0xff];
    const oid = Uint8Array.from([0x06, ...header, ...new Uint8Array(n - 1).fill(0xff), 0x01]);
    const int = Uint8Array.from([0x02, ...header, ...new Uint8Array(n).fill(0x7f)]);
    const started = performance.now();
    expect(() => readOid(oid, readTlv(oid, 0))).toThrow(/arc longer than 24 octets/);
    expect(readIntegerBigInt(int, readTlv(int, 0)) > 0n).toBe(true);
    expect(() => readSmallInteger(int, readTlv(int, 0))).toThrow(/out of range/);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it.each([
    ["INT:-129", -129n, "-81"],
    ["INT:0x00ff", 255n, "ff"],
    ["INT:0", 0n, "00"],
    ["INT:0x80000000000000000001", 0x80000000000000000001n, "80000000000000000001"],
  ])("INTEGER %s", (spec, value, magnitudeHex) => {
    const der = genstr(spec);
    const t = readTlv(der, 0);
    expect(readIntegerBigInt(der, t)).toBe(value);
    expect(readIntegerHex(der, t)).toBe(magnitudeHex);
  });

  it("refuses a small integer out of range", () => {
    const der = genstr("INT:-1");
    expect(() => readSmallInteger(der, readTlv(der, 0))).toThrow(/out of range/);
  });

  it("BOOLEAN TRUE as 0xFF, and any other non-zero octet as TRUE too", () => {
    const der = genstr("BOOL:TRUE");
    expect(readBoolean(der, readTlv(der, 0))).toBe(true);
    expect(readBoolean(hex("01 01 01"), readTlv(hex("01 01 01"), 0))).toBe(true);
    expect(readBoolean(hex("01 01 00"), readTlv(hex("01 01 00"), 0))).toBe(false);
    expect(() => readBoolean(hex("01 02 00 00"), readTlv(hex("01 02 00 00"), 0))).toThrow(DerError);
  });

  it("BIT STRING of named bits (keyCertSign-style bits 2 and 4)", () => {
    const der = genstr("FORMAT:BITLIST,BITSTR:2,4");
    expect(bitStringFlags(readBitString(der, readTlv(der, 0)))).toEqual([2, 4]);
  });

  it("BIT STRING that is not minimal, as Infineon writes key usage: 03 02 00 08 is keyAgreement (bit 4)", () => {
    const der = hex("03 02 00 08");
    expect(bitStringFlags(readBitString(der, readTlv(der, 0)))).toEqual([4]);
    const padded = hex("03 04 05 20 00 00"); // 5 unused bits, then two zero octets
    expect(bitStringFlags(readBitString(padded, readTlv(padded, 0)))).toEqual([2]);
  });

  it("BIT STRING: bits marked unused are not read; more than 7 unused bits are refused", () => {
    const der = hex("03 02 07 ff");
    expect(bitStringFlags(readBitString(der, readTlv(der, 0)))).toEqual([0]);
    expect(() => readBitString(hex("03 02 08 00"), readTlv(hex("03 02 08 00"), 0))).toThrow(/8 unused bits/);
    expect(() => readBitStringOctets(hex("03 02 01 00"), readTlv(hex("03 02 01 00"), 0))).toThrow(DerError);
  });

  it("OCTET STRING, explicit or implicit", () => {
    const der = genstr("IMPLICIT:0,OCT:abc");
    expect(Buffer.from(readOctetString(der, readTlv(der, 0), true)).toString()).toBe("abc");
    expect(() => readOctetString(der, readTlv(der, 0))).toThrow(/expected OCTET STRING, found \[0\]/);
  });

  it.each([
    ["UTCTIME:491231235959Z", "2049-12-31T23:59:59.000Z"],
    ["UTCTIME:500101000000Z", "1950-01-01T00:00:00.000Z"],
    ["GENTIME:20491231235959Z", "2049-12-31T23:59:59.000Z"],
    ["GENTIME:99991231235959Z", "9999-12-31T23:59:59.000Z"],
  ])("time %s", (spec, iso) => {
    const der = genstr(spec);
    expect(readTime(der, readTlv(der, 0)).toISOString()).toBe(iso);
  });

  it("reads older time forms: no seconds, a zone offset, fractional seconds", () => {
    const t = (tag: number, s: string) => {
      const der = Uint8Array.from([tag, s.length, ...Buffer.from(s)]);
      return readTime(der, readTlv(der, 0)).toISOString();
    };
    expect(t(TAG.UTCTime, "1801011200Z")).toBe("2018-01-01T12:00:00.000Z");
    expect(t(TAG.UTCTime, "180101120000+0200")).toBe("2018-01-01T10:00:00.000Z");
    expect(t(TAG.GeneralizedTime, "20180101120000.5Z")).toBe("2018-01-01T12:00:00.500Z");
    expect(() => t(TAG.UTCTime, "180230120000Z")).toThrow(/invalid date/);
    expect(() => t(TAG.GeneralizedTime, "20180101120000")).toThrow(DerError);
    expect(() => t(TAG.UTCTime, "18010112000Z")).toThrow(DerError);
  });

  it.each([
    ["FORMAT:UTF8,UTF8:Zürich €", "Zürich €"],
    ["PRINTABLE:Infineon Technologies AG", "Infineon Technologies AG"],
    ["IA5:http://pki.infineon.com", "http://pki.infineon.com"],
    ["FORMAT:UTF8,BMP:hé€", "hé€"],
    ["FORMAT:UTF8,UNIV:hé€", "hé€"],
    ["FORMAT:UTF8,T61:abc", "abc"],
    ["VISIBLE:abc", "abc"],
    ["NUMERIC:0123", "0123"],
  ])("string %s", (spec, text) => {
    const der = genstr(spec);
    expect(readString(der, readTlv(der, 0))).toBe(text);
  });

  it("T61String bytes are read as Latin-1", () => {
    const der = hex("14 03 5a fc 72"); // "Zür" in Latin-1
    expect(readString(der, readTlv(der, 0))).toBe("Zür");
  });

  it("refuses invalid UTF-8, odd-length BMPString, bad UniversalString code points", () => {
    for (const s of ["0c 02 c3 28", "1e 03 00 68 00", "1c 04 00 11 00 00"]) {
      expect(() => readString(hex(s), readTlv(hex(s), 0))).toThrow(DerError);
    }
  });

  it("contentOf is a view of the input, not a copy", () => {
    const der = hex("04 02 aa bb");
    const c = contentOf(der, readTlv(der, 0));
    expect(c.buffer).toBe(der.buffer);
    expect(c.byteOffset).toBe(2);
  });
});

describe("hostile input", () => {
  const readers = [
    readOid,
    readString,
    readTime,
    readBoolean,
    readIntegerHex,
    readBitString,
    readOctetString,
  ];

  it("random bytes: walkDer and every reader either succeed or throw a DerError (3,000 cases)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          walkDer(bytes);
        } catch (e) {
          if (!(e instanceof DerError)) throw e;
        }
        for (const read of readers) {
          try {
            read(bytes, readTlv(bytes, 0));
          } catch (e) {
            if (!(e instanceof DerError)) throw e;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
