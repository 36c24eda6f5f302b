// TCTI strings as tpm2-tools spells them (TPM2TOOLS_TCTI / -T): the forms we accept, their
// defaults, and a TctiError that shows the accepted forms for anything else.
import { describe, expect, it } from "vitest";
import { SwtpmTransport } from "./swtpm.js";
import { openTransport, parseTcti, TctiError } from "./tcti.js";
import { TpmTransportError } from "./transport.js";

describe("parseTcti", () => {
  it("takes bare `device` to mean the resource manager, falling back to the raw device", () => {
    expect(parseTcti("device")).toEqual({ kind: "device", paths: ["/dev/tpmrm0", "/dev/tpm0"] });
  });

  it("takes `device:` with no path the same way", () => {
    expect(parseTcti("device:")).toEqual({ kind: "device", paths: ["/dev/tpmrm0", "/dev/tpm0"] });
  });

  it("takes `device:<path>` to mean exactly that device", () => {
    expect(parseTcti("device:/dev/tpm0")).toEqual({ kind: "device", paths: ["/dev/tpm0"] });
  });

  it("takes bare `swtpm` to mean swtpm's default address, 127.0.0.1:2321", () => {
    expect(parseTcti("swtpm")).toEqual({ kind: "swtpm", host: "127.0.0.1", port: 2321 });
  });

  it.each([
    ["swtpm:host=127.0.0.1,port=2331", "127.0.0.1", 2331],
    ["swtpm:port=2331,host=localhost", "localhost", 2331],
    ["swtpm:port=2331", "127.0.0.1", 2331],
    ["swtpm:host=tpm.example", "tpm.example", 2321],
    ["swtpm:", "127.0.0.1", 2321],
    ["swtpm:port=1", "127.0.0.1", 1],
    ["swtpm:port=65534", "127.0.0.1", 65534],
  ])("takes %s as host %s, port %i", (text, host, port) => {
    expect(parseTcti(text)).toEqual({ kind: "swtpm", host, port });
  });

  it.each([
    ["an unknown kind", "mssim:host=127.0.0.1,port=2321", 'unknown kind "mssim"'],
    ["the empty string", "", 'unknown kind ""'],
    ["a kind in the wrong case", "Device", 'unknown kind "Device"'],
    ["a relative device path", "device:dev/tpm0", "the device path must be absolute"],
    ["port 0", "swtpm:port=0", 'cannot use "port=0"'],
    ["port 65535, whose control port (port + 1) cannot exist", "swtpm:port=65535", 'cannot use "port=65535"'],
    ["a port above 65535", "swtpm:port=70000", 'cannot use "port=70000"'],
    ["a port that is not a number", "swtpm:port=abc", 'cannot use "port=abc"'],
    ["a negative port", "swtpm:port=-1", 'cannot use "port=-1"'],
    ["an empty host", "swtpm:host=", 'cannot use "host="'],
    ["an unknown key", "swtpm:path=/tmp/sock", 'cannot use "path=/tmp/sock"'],
    ["an empty option", "swtpm:port=2321,", 'cannot use ""'],
  ])("refuses %s with a TctiError that shows the accepted forms", (_, text, problem) => {
    let err: unknown;
    try {
      parseTcti(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TctiError);
    expect((err as TctiError).code).toBe("TCTI_INVALID");
    expect((err as TctiError).message).toBe(
      `TCTI "${text}": ${problem}; use "device[:/dev/tpmrm0]" or "swtpm:host=127.0.0.1,port=2321"`,
    );
  });
});

describe("openTransport", () => {
  it("opens an swtpm transport without connecting yet", async () => {
    const t = await openTransport("swtpm:host=127.0.0.1,port=2999");
    expect(t).toBeInstanceOf(SwtpmTransport);
    expect(t.description).toBe("swtpm 127.0.0.1:2999");
    await t.close();
  });

  it("rejects a device that does not exist with TPM_TRANSPORT_UNAVAILABLE", async () => {
    const err = await openTransport("device:/nonexistent/tpmrm0").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TpmTransportError);
    expect((err as TpmTransportError).code).toBe("TPM_TRANSPORT_UNAVAILABLE");
  });

  it("throws TctiError for a bad string before opening anything", async () => {
    await expect(openTransport("tabrmd")).rejects.toBeInstanceOf(TctiError);
  });
});
