// Names compared as RFC 5280 §7.1 says (case, spacing, attribute order inside an RDN), on the
// real certificates and on hand-built DER names for the cases the real files do not show.
// (certificate.test.ts checks that every real name reads as openssl reads it.)
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCertificate } from "./certificate.js";
import { readTlv } from "./der.js";
import { EkCertParseError } from "./errors.js";
import { readCertificateInput } from "./input.js";
import { nameKey, namesEqual, parseName, readName } from "./name.js";
import type { Name } from "./types.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const DIRS = ["manufacturer-cas", "ek-samples/cas", "ek-samples/certs"].map((d) => join(SHARED, d));
const FILES = DIRS.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith(".pem"))
    .map((f) => join(d, f)),
);

describe("names of real certificates", () => {
  // (certificate.test.ts checks every real name against openssl; here, how they compare.)
  const certs = FILES.map((file) => ({
    file,
    cert: parseCertificate(readCertificateInput(readFileSync(file))[0] as Uint8Array),
  }));

  it("keeps the issuer and subject DER exactly as the certificate encodes them", () => {
    for (const { cert } of certs) {
      for (const n of [cert.issuer, cert.subject]) {
        const at = Buffer.from(cert.tbs).indexOf(Buffer.from(n.der));
        expect(at, cert.subject.text).toBeGreaterThan(0);
        expect(parseName(n.der).text).toBe(n.text);
      }
    }
  });

  it("reads identical Name bytes once: an EK cert's issuer is its CA's subject object", () => {
    const byFile = new Map(certs.map(({ file, cert }) => [file.slice(SHARED.length), cert]));
    const leaf = byFile.get("ek-samples/certs/ifx_rsa_optiga_ca035_keylime.pem")!;
    const ca = byFile.get("ek-samples/cas/infineon_optiga_rsa_mfg_ca035.pem")!;
    expect(Buffer.from(leaf.issuer.der).equals(Buffer.from(ca.subject.der))).toBe(true);
    expect(leaf.issuer).toBe(ca.subject);
    // Parsed again from a copy of its bytes, the leaf gets the same Name objects.
    const again = parseCertificate(new Uint8Array(leaf.der));
    expect(again.issuer).toBe(leaf.issuer);
    expect(again.subject).toBe(leaf.subject);
  });

  it("matches each real EK cert's issuer with its CA's subject (Nuvoton's unsorted SET included)", () => {
    const byFile = new Map(certs.map(({ file, cert }) => [file.slice(SHARED.length), cert]));
    const pairs = [
      ["ek-samples/certs/ntc_rsa_root2111_spire.pem", "ek-samples/cas/nuvoton_tpm_root_ca2111.pem"],
      [
        "ek-samples/certs/ifx_rsa_optiga_ca035_keylime.pem",
        "ek-samples/cas/infineon_optiga_rsa_mfg_ca035.pem",
      ],
      ["ek-samples/certs/stm_ecc_ca01_keylime.pem", "ek-samples/cas/stm_tpm_ecc_intermediate_ca01.pem"],
      ["ek-samples/certs/intc_rsa_ptt_spth_gotpmkit.pem", "manufacturer-cas/INTEL_I.pem"],
    ];
    for (const [leaf, ca] of pairs) {
      const l = byFile.get(leaf as string);
      const c = byFile.get(ca as string);
      expect(l && c && namesEqual(l.issuer, c.subject), `${leaf} issued by ${ca}`).toBe(true);
    }
    const nuvoton = byFile.get("ek-samples/certs/ntc_rsa_root2111_spire.pem");
    const infineon = byFile.get("ek-samples/cas/infineon_optiga_rsa_mfg_ca035.pem");
    expect(nuvoton && infineon && namesEqual(nuvoton.issuer, infineon.subject)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Hand-built names: a tiny DER writer, independent of the code under test.

function tlv(id: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  const len =
    body.length < 0x80
      ? [body.length]
      : body.length < 0x100
        ? [0x81, body.length]
        : [0x82, body.length >> 8, body.length & 0xff];
  return Buffer.concat([Uint8Array.of(id, ...len), body]);
}

function oid(dotted: string): Uint8Array {
  const [a = 0, b = 0, ...rest] = dotted.split(".").map(Number);
  const out: number[] = [];
  for (const arc of [a * 40 + b, ...rest]) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

const TYPES: Record<string, string> = { CN: "2.5.4.3", O: "2.5.4.10", OU: "2.5.4.11", C: "2.5.4.6" };
const UTF8 = 0x0c;
const PRINTABLE = 0x13;
const BMP = 0x1e;

type Ava = [type: string, value: string, tag?: number];
/** A Name from RDNs in the order given, each RDN's attributes in the order given (no DER sorting). */
function name(...rdns: Ava[][]): Name {
  const encode = ([type, value, tag = UTF8]: Ava) => {
    const bytes = tag === BMP ? Buffer.from(value, "utf16le").swap16() : Buffer.from(value, "utf8");
    return tlv(0x30, oid(TYPES[type] ?? type), tlv(tag, bytes));
  };
  return parseName(tlv(0x30, ...rdns.map((rdn) => tlv(0x31, ...rdn.map(encode)))));
}

describe("namesEqual and nameKey (RFC 5280 §7.1)", () => {
  const cases: [string, Name, Name, boolean][] = [
    [
      "values that differ only in case",
      name([["CN", "Infineon OPTIGA(TM) RSA Manufacturing CA 035"]]),
      name([["CN", "INFINEON optiga(tm) rsa manufacturing ca 035"]]),
      true,
    ],
    [
      "values that differ only in leading, trailing and inner whitespace",
      name([["O", "  STMicroelectronics   NV "]]),
      name([["O", "STMicroelectronics NV"]]),
      true,
    ],
    [
      "PrintableString and UTF8String of the same text",
      name([["C", "TW", PRINTABLE]]),
      name([["C", "TW", UTF8]]),
      true,
    ],
    [
      "BMPString and UTF8String of the same text",
      name([["CN", "Zürich", BMP]]),
      name([["CN", "Zürich"]]),
      true,
    ],
    [
      "compatibility forms under NFKC (fullwidth letters)",
      name([["O", "ＩＦＸ"]]),
      name([["O", "IFX"]]),
      true,
    ],
    [
      "a multi-valued RDN in Nuvoton's order and in DER order",
      name([
        ["CN", "Nuvoton TPM Root CA 2111"],
        ["O", "Nuvoton Technology Corporation"],
        ["C", "TW", PRINTABLE],
      ]),
      name([
        ["C", "TW", PRINTABLE],
        ["CN", "Nuvoton TPM Root CA 2111"],
        ["O", "Nuvoton Technology Corporation"],
      ]),
      true,
    ],
    [
      "the same RDNs in another order",
      name([["C", "DE"]], [["O", "Infineon"]]),
      name([["O", "Infineon"]], [["C", "DE"]]),
      false,
    ],
    [
      "the same value under another attribute type",
      name([["CN", "Infineon"]]),
      name([["O", "Infineon"]]),
      false,
    ],
    [
      "another value",
      name([["CN", "NTC TPM EK Root CA 01"]]),
      name([["CN", "NTC TPM EK Root CA 02"]]),
      false,
    ],
    ["one RDN more", name([["C", "DE"]], [["O", "Infineon"]]), name([["C", "DE"]]), false],
    [
      "one multi-valued RDN and the same attributes in separate RDNs",
      name([
        ["CN", "x"],
        ["O", "y"],
      ]),
      name([["CN", "x"]], [["O", "y"]]),
      false,
    ],
    [
      "a repeated attribute against a single one",
      name([
        ["OU", "a"],
        ["OU", "a"],
      ]),
      name([["OU", "a"]]),
      false,
    ],
    ["inner whitespace that is not just spacing", name([["CN", "ab"]]), name([["CN", "a b"]]), false],
    ["two empty names", name(), name(), true],
  ];

  it.each(cases)("%s: %s", (_label, a, b, equal) => {
    expect(namesEqual(a, b)).toBe(equal);
    expect(namesEqual(b, a)).toBe(equal);
    expect(nameKey(a) === nameKey(b)).toBe(equal);
  });

  it("nameKey works as a Map key for issuer lookup", () => {
    const byName = new Map<string, string>([
      [nameKey(name([["C", "DE"]], [["CN", "IFX TPM EK Root CA"]])), "root"],
    ]);
    expect(byName.get(nameKey(name([["C", "de"]], [["CN", "ifx tpm ek root ca"]])))).toBe("root");
  });

  it("text escapes what RFC 4514 escapes and joins a multi-valued RDN with ' + '", () => {
    expect(name([["O", "VeriSign, Inc."]], [["CN", "a+b"]]).text).toBe("O=VeriSign\\, Inc., CN=a\\+b");
    expect(
      name([
        ["CN", "x"],
        ["O", "y"],
      ]).text,
    ).toBe("CN=x + O=y");
    expect(name([["2.23.133.2.2", "NPCT75x"]]).text).toBe("tpmModel=NPCT75x");
    expect(name([["1.2.3.4", "v"]]).text).toBe("1.2.3.4=v");
    expect(name().text).toBe("");
  });

  it("shows a value that is not a string as # and its DER in hex", () => {
    const n = parseName(tlv(0x30, tlv(0x31, tlv(0x30, oid("2.5.4.3"), Uint8Array.of(0x02, 0x01, 0x05)))));
    expect(n.text).toBe("CN=#020105");
  });
});

describe("Names read before", () => {
  it("one object for identical bytes in different buffers; one byte more or less is another Name", () => {
    const a = name([["CN", "cache probe"]], [["O", "Example"]]);
    const b = name([["CN", "cache probe"]], [["O", "Example"]]);
    const c = name([["CN", "cache probf"]], [["O", "Example"]]);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c.text).toBe("CN=cache probf, O=Example");
    expect(namesEqual(a, c)).toBe(false);
  });

  it("keeps a copy of a Name read from a Buffer that its owner then reuses", () => {
    const der = tlv(0x30, tlv(0x31, tlv(0x30, oid("2.5.4.3"), tlv(UTF8, Buffer.from("reused buffer")))));
    const memory = Buffer.alloc(der.length);
    memory.set(der);
    const n = readName(memory, readTlv(memory, 0));
    memory.fill(0); // Buffer's slice() would have kept a view of this
    expect(hex(n.der)).toBe(hex(der));
    expect(n.text).toBe("CN=reused buffer");
    expect(parseName(der)).toBe(n);
  });

  it("never keeps a Name that failed: the same bad bytes fail again", () => {
    const bad = Buffer.from("300931073005060355040" + "3", "hex");
    expect(() => parseName(bad)).toThrow(EkCertParseError);
    expect(() => parseName(bad)).toThrow(EkCertParseError);
  });
});

describe("parseName refuses what is not a Name", () => {
  it.each([
    ["empty input", ""],
    ["a SET where the Name's SEQUENCE belongs", "3100"],
    ["an empty RDN", "30023100"],
    ["an attribute without a value", "300931073005060355040" + "3"],
    ["bytes after the Name", "300000"],
    ["a truncated Name", "300a3108"],
  ])("%s", (_label, h) => {
    expect(() => parseName(Buffer.from(h, "hex"))).toThrow(EkCertParseError);
  });
});
