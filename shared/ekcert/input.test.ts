// Finding certificates in files and NV dumps: PEM (one or many blocks, text around them),
// base64, raw DER, NV contents with a TCG header and padding; and a clear EK_CERT_UNREADABLE
// for everything else.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EkCertUnreadableError } from "./errors.js";
import { MAX_INPUT_BYTES, readCertificateInput } from "./input.js";

const run = promisify(execFile);
const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const NUVOTON = join(SHARED, "ek-samples/certs/ntc_rsa_root2111_spire.pem");
const INFINEON = join(SHARED, "ek-samples/certs/ifx_ecc_optiga_ca035_keylime.pem");
const ALIBABA = join(SHARED, "manufacturer-cas/Alibaba_Cloud_vTPM_EK.pem"); // `openssl x509 -text` before the PEM
const MANUFACTURER_CAS = readdirSync(join(SHARED, "manufacturer-cas"))
  .filter((f) => f.endsWith(".pem"))
  .map((f) => join(SHARED, "manufacturer-cas", f));

const tmp = mkdtempSync(join(tmpdir(), "ekcert-input-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The DER openssl reads from each file. */
const openssl = new Map<string, Buffer>();
beforeAll(async () => {
  await Promise.all(
    [NUVOTON, INFINEON, ALIBABA].map(async (file, i) => {
      const out = join(tmp, `${i}.der`);
      await run("openssl", ["x509", "-in", file, "-outform", "DER", "-out", out]);
      openssl.set(file, readFileSync(out));
    }),
  );
});

const read = (s: string | Uint8Array) =>
  readCertificateInput(typeof s === "string" ? Buffer.from(s, "latin1") : s);
const same = (a: Uint8Array | undefined, b: Uint8Array | undefined) =>
  a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));

function unreadable(input: string | Uint8Array): EkCertUnreadableError {
  try {
    read(input);
  } catch (e) {
    expect(e).toBeInstanceOf(EkCertUnreadableError);
    expect((e as EkCertUnreadableError).code).toBe("EK_CERT_UNREADABLE");
    return e as EkCertUnreadableError;
  }
  throw new Error("expected an EkCertUnreadableError");
}

describe("what readCertificateInput accepts", () => {
  it("PEM: the certificate openssl reads", () => {
    const ders = read(readFileSync(NUVOTON));
    expect(ders).toHaveLength(1);
    expect(same(ders[0], openssl.get(NUVOTON))).toBe(true);
  });

  it("PEM with other text around it (openssl -text output before, a note after)", () => {
    const ders = read(`${readFileSync(ALIBABA, "latin1")}\nexported by the factory station\n`);
    expect(ders).toHaveLength(1);
    expect(same(ders[0], openssl.get(ALIBABA))).toBe(true);
  });

  it("several CERTIFICATE blocks in one file, in order: all 51 manufacturer CA files concatenated", () => {
    const text = MANUFACTURER_CAS.map((f) => readFileSync(f, "latin1")).join("\n");
    const ders = read(text);
    expect(ders).toHaveLength(MANUFACTURER_CAS.length);
    MANUFACTURER_CAS.forEach((f, i) => {
      expect(same(ders[i], read(readFileSync(f))[0]), f).toBe(true);
    });
  });

  it("PEM with CRLF line ends and other PEM blocks beside the certificate", () => {
    const pem = readFileSync(INFINEON, "latin1").replace(/\n/g, "\r\n");
    const key =
      "-----BEGIN PUBLIC KEY-----\r\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQc=\r\n-----END PUBLIC KEY-----\r\n";
    const ders = read(key + pem);
    expect(ders).toHaveLength(1);
    expect(same(ders[0], openssl.get(INFINEON))).toBe(true);
  });

  it("base64 DER, on one line or wrapped", () => {
    const b64 = (openssl.get(NUVOTON) as Buffer).toString("base64");
    expect(same(read(b64)[0], openssl.get(NUVOTON))).toBe(true);
    expect(same(read(`  ${b64.replace(/.{76}/g, "$&\n")}\n`)[0], openssl.get(NUVOTON))).toBe(true);
  });

  it("raw DER", () => {
    const ders = read(openssl.get(INFINEON) as Buffer);
    expect(ders).toHaveLength(1);
    expect(same(ders[0], openssl.get(INFINEON))).toBe(true);
  });

  it("an NV dump: the DER followed by 0xFF or zero padding", () => {
    for (const pad of [0xff, 0x00]) {
      const nv = Buffer.concat([openssl.get(NUVOTON) as Buffer, Buffer.alloc(700, pad)]);
      expect(same(read(nv)[0], openssl.get(NUVOTON))).toBe(true);
    }
  });

  it("an NV dump with a TCG stored-certificate header (0x10 0x01, length) before the DER", () => {
    const der = openssl.get(INFINEON) as Buffer;
    const header = Buffer.from([0x10, 0x01, der.length >> 8, der.length & 0xff]);
    const ders = read(Buffer.concat([header, der, Buffer.alloc(100, 0xff)]));
    expect(ders).toHaveLength(1);
    expect(same(ders[0], der)).toBe(true);
  });

  it("an NV chain index: several DER certificates back to back, then padding", () => {
    const ders = read(
      Buffer.concat([openssl.get(INFINEON) as Buffer, openssl.get(NUVOTON) as Buffer, Buffer.alloc(64)]),
    );
    expect(ders.map((d) => d.length)).toEqual([
      (openssl.get(INFINEON) as Buffer).length,
      (openssl.get(NUVOTON) as Buffer).length,
    ]);
  });

  it("PEM behind a UTF-8 byte order mark", () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(NUVOTON)]);
    expect(same(read(bom)[0], openssl.get(NUVOTON))).toBe(true);
  });

  it("returns copies, not views of the caller's buffer", () => {
    const input = Buffer.from(openssl.get(NUVOTON) as Buffer);
    const [der] = read(input);
    input.fill(0);
    expect(der?.[0]).toBe(0x30);
  });
});

describe("what it refuses, and how it says so", () => {
  const der = () => openssl.get(NUVOTON) as Buffer;

  it.each<[string, () => string | Uint8Array, RegExp]>([
    ["empty input", () => new Uint8Array(), /empty input/],
    ["whitespace only", () => "  \n\t\r\n", /empty input/],
    [
      "binary garbage",
      () => Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]),
      /not a certificate.*starts with 0xde/,
    ],
    ["text that is neither PEM nor base64", () => "hello, this is not a certificate\n", /not a certificate/],
    ["truncated DER", () => der().subarray(0, 500), /DER input is truncated/],
    [
      "DER followed by bytes that are not padding",
      () => Buffer.concat([der(), Buffer.from("trailer")]),
      /unexpected byte 0x74/,
    ],
    [
      "a PEM block without its END line",
      () => readFileSync(NUVOTON, "latin1").split("-----END")[0] as string,
      /without its END line/,
    ],
    [
      "a PEM block whose base64 is damaged",
      () => readFileSync(NUVOTON, "latin1").replace(/\n([A-Za-z0-9+/]{10})/, "\n$1*!"),
      /PEM block 1 \(CERTIFICATE\) is not valid base64/,
    ],
    [
      "a PEM block that holds half a certificate",
      () =>
        `-----BEGIN CERTIFICATE-----\n${der().subarray(0, 300).toString("base64")}\n-----END CERTIFICATE-----\n`,
      /PEM block 1 \(CERTIFICATE\) is truncated/,
    ],
    [
      "PEM without a certificate",
      () => "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQc=\n-----END PUBLIC KEY-----\n",
      /PEM without a CERTIFICATE block \(found PUBLIC KEY\)/,
    ],
    [
      "base64 of something that is not DER",
      () => Buffer.from("just some words").toString("base64"),
      /base64 input is not a DER certificate/,
    ],
    ["only padding", () => Buffer.alloc(64, 0xff), /not a certificate/],
    [
      "a TCG header with nothing behind it",
      () => Buffer.from([0x10, 0x01, 0x00, 0x00, 0xff]),
      /not a DER certificate/,
    ],
    [
      "input over the size limit",
      () => Buffer.concat([der(), Buffer.alloc(MAX_INPUT_BYTES)]),
      new RegExp(`larger than the ${MAX_INPUT_BYTES}-byte limit`),
    ],
  ])("%s", (_label, make, message) => {
    expect(unreadable(make()).message).toMatch(message);
  });

  it("refuses a chain file whose second certificate is cut off, instead of dropping it", () => {
    const pem = readFileSync(NUVOTON, "latin1");
    expect(unreadable(pem + pem.slice(0, 300)).message).toMatch(
      /PEM CERTIFICATE block 2 without its END line/,
    );
  });

  it("stays linear on hostile PEM text: 30,000 BEGIN lines without an END", () => {
    const started = performance.now();
    unreadable("-----BEGIN CERTIFICATE-----\n".repeat(30_000));
    unreadable("-----BEGIN X-----\n-----BEGIN ".repeat(30_000));
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("never throws anything else, on random bytes and on damaged PEM text (3,000 cases)", () => {
    const pem = readFileSync(INFINEON, "latin1");
    const check = (input: string | Uint8Array) => {
      try {
        for (const d of read(input)) expect(d[0]).toBe(0x30);
      } catch (e) {
        if (!(e instanceof EkCertUnreadableError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (b) => check(b)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.nat({ max: pem.length }),
        fc.nat({ max: pem.length }),
        fc.string({ maxLength: 8 }),
        (from, to, insert) =>
          check(pem.slice(0, Math.min(from, to)) + insert + pem.slice(Math.max(from, to))),
      ),
      { numRuns: 2000 },
    );
  });
});
