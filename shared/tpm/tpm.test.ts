// The client against a scripted TPM: a transport that answers with frames written here, for
// the misbehaviours swtpm will not produce (hostile answers, endless RETRY).
import { describe, expect, it } from "vitest";
import { GetRandom } from "./commands/index.js";
import { TPM_ALG } from "./constants.js";
import { PcrReadError, readPcrs } from "./pcr.js";
import { TpmResponseError } from "./rc.js";
import { Tpm } from "./tpm.js";
import type { Transport } from "./transport/transport.js";

/** A transport that records commands and replies with the next scripted frame (hex). */
function scripted(replies: string[]): Transport & { sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    description: "scripted TPM",
    sent,
    async send(command) {
      sent.push(command);
      const next = replies.shift();
      if (next === undefined) throw new Error("the script has no more replies");
      return Uint8Array.from(Buffer.from(next.replace(/\s+/g, ""), "hex"));
    },
    async close() {},
  };
}

// Part 3 §16.1 TPM2_GetRandom response: tag NO_SESSIONS, size 16, rc 0, TPM2B of 4 bytes.
const GET_RANDOM_OK = "8001 00000010 00000000 0004 01020304";
// A bare error response: tag, size 10, rc TPM_RC_RETRY (0x922).
const RETRY = "8001 0000000a 00000922";

describe("Tpm.run", () => {
  it("sends the same command again after TPM_RC_RETRY and returns the eventual answer", async () => {
    const t = scripted([RETRY, RETRY, GET_RANDOM_OK]);
    const out = await new Tpm(t).run(GetRandom, { bytesRequested: 4 });
    expect(Buffer.from(out.randomBytes).toString("hex")).toBe("01020304");
    expect(t.sent).toHaveLength(3);
    expect(Buffer.from(t.sent[2] ?? []).equals(Buffer.from(t.sent[0] ?? []))).toBe(true);
  });

  it("gives up after a bounded number of RETRY answers and reports TPM_RC_RETRY", async () => {
    const t = scripted(Array.from({ length: 20 }, () => RETRY));
    const err = await new Tpm(t).run(GetRandom, { bytesRequested: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TpmResponseError);
    expect((err as TpmResponseError).code).toBe("TPM_RC_RETRY");
    expect(t.sent.length).toBeLessThan(20);
  });

  it("does not resend after TPM_RC_LOCKOUT (0x921): hammering a locked-out TPM makes it worse", async () => {
    const t = scripted(["8001 0000000a 00000921", GET_RANDOM_OK]);
    const err = await new Tpm(t).run(GetRandom, { bytesRequested: 4 }).catch((e: unknown) => e);
    expect((err as TpmResponseError).code).toBe("TPM_RC_LOCKOUT");
    expect((err as Error).message).toMatch(/dictionary-attack lockout/);
    expect(t.sent).toHaveLength(1);
  });
});

describe("readPcrs against a TPM that answers for the wrong PCRs", () => {
  // TPM2_PCR_Read response (Part 3 §22.4): pcrUpdateCounter, TPML_PCR_SELECTION with one
  // SHA-256 selection of PCR 0 (bitmap 01 00 00), TPML_DIGEST with one 32-byte digest.
  const pcr0 = `8001 0000003e 00000000 00000001 00000001 000b 03 010000 00000001 0020 ${"aa".repeat(32)}`;

  it("stops with PcrReadError instead of asking forever when PCR 0 comes back again", async () => {
    const t = scripted([pcr0, pcr0, pcr0]);
    const err = await readPcrs(new Tpm(t), TPM_ALG.SHA256, [0, 1]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PcrReadError);
    expect((err as Error).message).toMatch(/PCRs 1 of bank 0xb returned 1 value\(s\) for PCRs \[0\]/);
    expect(t.sent).toHaveLength(2);
  });

  it("reads PCR 0 when that is what was asked", async () => {
    const values = await readPcrs(new Tpm(scripted([pcr0])), TPM_ALG.SHA256, [0]);
    expect(Buffer.from(values.get(0) ?? []).toString("hex")).toBe("aa".repeat(32));
  });
});
