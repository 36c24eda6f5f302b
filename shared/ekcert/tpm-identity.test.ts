// The TPM identity in an EK certificate's SAN: read from the real SANs (three RDNs for
// Infineon/STMicro/Intel/swtpm, one multi-valued RDN for Nuvoton) as openssl prints them, and
// from hand-built SANs for the other shapes the profile allows.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "./certificate.js";
import { EkCertParseError } from "./errors.js";
import { readCertificateInput } from "./input.js";
import { manufacturerCode, parseTpmIdentity } from "./tpm-identity.js";

const run = promisify(execFile);
const SHARED = fileURLToPath(new URL("../../../shared/", import.meta.url));
const EK_FILES = readdirSync(join(SHARED, "ek-samples/certs"))
  .filter((f) => f.endsWith(".pem"))
  .map((f) => join(SHARED, "ek-samples/certs", f));

describe("manufacturerCode: the TCG vendor id as ASCII (TCG Vendor ID Registry)", () => {
  it.each([
    ["id:4E544300", "NTC"],
    ["id:494E5443", "INTC"],
    ["id:53544D20", "STM"],
    ["id:49465800", "IFX"],
    ["id:414D4400", "AMD"],
    ["id:4e544300", "NTC"],
    ["id:00001014", undefined],
    ["id:00000000", undefined],
    ["NTC", undefined],
    ["id:4E5443", undefined],
  ])("%s → %s", (id, code) => {
    expect(manufacturerCode(id)).toBe(code);
  });
});

describe("the real EK certificates' SANs", () => {
  const printed = new Map<string, string>();
  beforeAll(async () => {
    const script = `for f in "$@"; do echo "$f $(openssl x509 -in "$f" -noout -ext subjectAltName | tail -1)"; done`;
    const { stdout } = await run("bash", ["-c", script, "san", ...EK_FILES]);
    for (const line of stdout.trim().split("\n")) {
      const at = line.indexOf(" ");
      printed.set(line.slice(0, at), line.slice(at + 1).trim());
    }
  });

  it.each(EK_FILES.map((f) => [f.slice(SHARED.length), f]))("%s", (_name, file) => {
    const cert = parseCertificate(readCertificateInput(readFileSync(file))[0] as Uint8Array);
    const san = cert.extensions.find((e) => e.oid === "2.5.29.17");
    const dirName = printed.get(file) as string; // e.g. DirName:/2.23.133.2.1=id:4E544300+2.23.133.2.2=…
    const attr = (n: number) => new RegExp(`2\\.23\\.133\\.2\\.${n}=([^/+]*)`).exec(dirName)?.[1];
    expect(san && parseTpmIdentity(san.value)).toMatchObject({
      manufacturer: attr(1),
      model: attr(2),
      version: attr(3),
    });
  });
});

// A tiny DER writer for hand-built SANs.
function tlv(id: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return Buffer.concat([Uint8Array.of(id, body.length), body]);
}
const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
const set = (...p: Uint8Array[]) => tlv(0x31, ...p);
const attr = (n: number, value: string, tag = 0x0c) =>
  seq(Uint8Array.of(0x06, 0x05, 0x67, 0x81, 0x05, 0x02, n), tlv(tag, Buffer.from(value)));
const directoryName = (...rdns: Uint8Array[]) => tlv(0xa4, seq(...rdns));
const MANUFACTURER = attr(1, "id:4E544300");
const MODEL = attr(2, "NPCT75x", 0x13);
const VERSION = attr(3, "id:00070002");

describe("SAN shapes", () => {
  const expected = {
    manufacturer: "id:4E544300",
    manufacturerCode: "NTC",
    model: "NPCT75x",
    version: "id:00070002",
  };

  it("reads the attributes in one RDN, in any order", () => {
    expect(parseTpmIdentity(seq(directoryName(set(VERSION, MANUFACTURER, MODEL))))).toEqual(expected);
  });

  it("reads the attributes in three RDNs", () => {
    expect(parseTpmIdentity(seq(directoryName(set(MANUFACTURER), set(MODEL), set(VERSION))))).toEqual(
      expected,
    );
  });

  it("skips other kinds of names and directoryNames without TPM attributes", () => {
    const dns = tlv(0x82, Buffer.from("tpm.example"));
    const other = directoryName(
      set(seq(Uint8Array.of(0x06, 0x03, 0x55, 0x04, 0x03), tlv(0x0c, Buffer.from("x")))),
    );
    expect(
      parseTpmIdentity(seq(dns, other, directoryName(set(MANUFACTURER), set(MODEL), set(VERSION)))),
    ).toEqual(expected);
  });

  it("leaves the manufacturer code out when the id is not ASCII (swtpm)", () => {
    expect(
      parseTpmIdentity(seq(directoryName(set(attr(1, "id:00001014")), set(MODEL), set(VERSION)))),
    ).toEqual({
      manufacturer: "id:00001014",
      model: "NPCT75x",
      version: "id:00070002",
    });
  });

  it("gives the SANs of one TPM model one frozen identity (certificates share it)", () => {
    const first = parseTpmIdentity(seq(directoryName(set(MANUFACTURER), set(MODEL), set(VERSION))));
    const again = parseTpmIdentity(seq(directoryName(set(MANUFACTURER), set(MODEL), set(VERSION))));
    expect(again).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const other = parseTpmIdentity(
      seq(directoryName(set(MANUFACTURER), set(attr(2, "NPCT76x")), set(VERSION))),
    );
    expect(other).toEqual({ ...expected, model: "NPCT76x" });
  });

  it("gives no identity for a SAN without a TPMManufacturer", () => {
    expect(parseTpmIdentity(seq(directoryName(set(MODEL))))).toBeUndefined();
    expect(parseTpmIdentity(seq(tlv(0x82, Buffer.from("host"))))).toBeUndefined();
  });

  it("refuses a SAN that is not GeneralNames, or a directoryName that is not a Name", () => {
    for (const bad of [
      seq(tlv(0xa4, set(MANUFACTURER))),
      Uint8Array.of(0x04, 0x00),
      seq(tlv(0x84, MANUFACTURER)),
    ]) {
      expect(() => parseTpmIdentity(bad)).toThrow(EkCertParseError);
    }
  });
});
