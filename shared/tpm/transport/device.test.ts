// DeviceTransport without a TPM: paths that do not exist, and a regular file standing in for a
// character device. The transport only writes the command and then reads once from the same
// descriptor, so a file holding "<command-sized gap><response>" answers like a device would:
// the write fills the gap and the read returns what follows.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeviceTransport } from "./device.js";
import { MAX_RESPONSE_BYTES, TpmTransportError } from "./transport.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** TPM2_GetRandom(8) (Part 3 §16.1). */
const COMMAND = hex("8001 0000000c 0000017b 0008");
const RESPONSE = hex("8001 00000014 00000000 0008 0102030405060708");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "device-transport-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<TpmTransportError> {
  const err = await p.then(
    () => new Error("resolved, but must have been rejected"),
    (e: unknown) => e,
  );
  if (!(err instanceof TpmTransportError)) throw new Error(`rejected with ${String(err)}`, { cause: err });
  return err;
}

/** A file that answers COMMAND with `answer`. */
async function fakeDevice(name: string, answer: Uint8Array): Promise<DeviceTransport> {
  const path = join(dir, name);
  await writeFile(path, Buffer.concat([Buffer.alloc(COMMAND.length), answer]));
  return DeviceTransport.open([path], { timeoutMs: 1_000 });
}

describe("DeviceTransport.open", () => {
  it("says which paths it tried and why each failed when none exists", async () => {
    const err = await rejection(DeviceTransport.open(["/nonexistent/tpmrm0", "/nonexistent/tpm0"]));
    expect(err.code).toBe("TPM_TRANSPORT_UNAVAILABLE");
    expect(err.message).toBe(
      "no usable TPM device (/nonexistent/tpmrm0: ENOENT: no such file or directory, open '/nonexistent/tpmrm0'; " +
        "/nonexistent/tpm0: ENOENT: no such file or directory, open '/nonexistent/tpm0')",
    );
  });

  it("reports a path that is a directory", async () => {
    const err = await rejection(DeviceTransport.open([dir]));
    expect(err.code).toBe("TPM_TRANSPORT_UNAVAILABLE");
    expect(err.message).toContain(`${dir}: EISDIR`);
  });

  it("opens the first path that works", async () => {
    const good = join(dir, "second");
    await writeFile(good, "");
    const t = await DeviceTransport.open(["/nonexistent/tpmrm0", good]);
    expect(t.description).toBe(good);
    await t.close();
  });
});

describe("DeviceTransport.send", () => {
  it("returns the response the device gives", async () => {
    const t = await fakeDevice("good", RESPONSE);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
    await t.close();
  });

  it("refuses an answer shorter than a response header", async () => {
    const t = await fakeDevice("short", RESPONSE.subarray(0, 5));
    const err = await rejection(t.send(COMMAND));
    expect(err.code).toBe("TPM_TRANSPORT_BAD_RESPONSE");
    expect(err.message).toBe(`${join(dir, "short")} returned 5 bytes, less than a response header`);
    await t.close();
  });

  it("refuses an answer whose length is not what its header announced", async () => {
    const t = await fakeDevice("truncated", RESPONSE.subarray(0, 12));
    const err = await rejection(t.send(COMMAND));
    expect(err.code).toBe("TPM_TRANSPORT_BAD_RESPONSE");
    expect(err.message).toBe(`${join(dir, "truncated")} returned 12 bytes but the header announced 20`);
    await t.close();
  });

  it("refuses a header announcing more than MAX_RESPONSE_BYTES", async () => {
    const header = hex(`8001 ${(MAX_RESPONSE_BYTES + 1).toString(16).padStart(8, "0")} 00000000`);
    const t = await fakeDevice("huge", header);
    const err = await rejection(t.send(COMMAND));
    expect(err.code).toBe("TPM_TRANSPORT_BAD_RESPONSE");
    expect(err.message).toContain(`announcing ${MAX_RESPONSE_BYTES + 1} bytes`);
    await t.close();
  });

  it("refuses to send on a closed transport", async () => {
    const t = await fakeDevice("closed", RESPONSE);
    await t.close();
    const err = await rejection(t.send(COMMAND));
    expect(err.code).toBe("TPM_TRANSPORT_CLOSED");
    expect(err.message).toBe(`${join(dir, "closed")} is closed`);
  });
});
