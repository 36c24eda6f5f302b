// Response codes (Part 2 §6.6) against tpm2-tools' own decoder, run at test time: for each code,
// the text tpm2_rc_decode prints must be the specification's description (Part 2 §6.6.3,
// Table 16) of the name decodeRc gives, and both must agree on handle/session/parameter and
// on warning versus error.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { decodeRc, TpmResponseError } from "./rc.js";

/** Part 2 Table 16: the description of each response code, as libtss2-rc prints it. */
const DESCRIPTION: Record<string, string> = {
  TPM_RC_INITIALIZE: "TPM not initialized by TPM2_Startup or already initialized",
  TPM_RC_FAILURE: "commands not being accepted because of a TPM failure",
  TPM_RC_PCR_CHANGED: "PCR have changed since checked",
  TPM_RC_NV_UNINITIALIZED:
    "an NV Index is used before being initialized or the state saved by TPM2_ShutdownSTATE could not be restored",
  TPM_RC_VALUE: "value is out of range or is not correct for the context",
  TPM_RC_HANDLE: "the handle is not correct for the use",
  TPM_RC_AUTH_FAIL: "the authorization HMAC check failed and DA counter incremented",
  TPM_RC_PP: "authorization requires assertion of PP",
  TPM_RC_SIZE: "structure is the wrong size",
  TPM_RC_BAD_AUTH: "authorization failure without DA implications",
  TPM_RC_OBJECT_MEMORY: "out of memory for object contexts",
  TPM_RC_YIELDED:
    "the TPM has suspended operation on the command; forward progress was made and the command may be retried",
  TPM_RC_TESTING: "TPM is performing selftests",
  TPM_RC_LOCKOUT:
    "authorizations for objects subject to DA protection are not allowed at this time because the TPM is in DA lockout mode",
  TPM_RC_RETRY: "the TPM was not able to start the command",
};

interface Printed {
  /** "success", "warn", "error", "handle", "session", "parameter", or another layer's name. */
  kind: string;
  /** For handle/session/parameter: the number, or undefined for "unk". */
  index?: number;
  text: string;
}

/** Runs `tpm2_rc_decode <code>` and splits its one line: "tpm:session(1):authorization …". */
function tpm2RcDecode(rc: number): Printed {
  const line = execFileSync("tpm2_rc_decode", [`0x${rc.toString(16)}`], { encoding: "utf8" }).trim();
  if (line === "tpm:success") return { kind: "success", text: "" };
  let m = /^tpm:(warn|error)\((?:2\.0|1\.2)\):\s*(.*)$/.exec(line);
  if (m) return { kind: m[1] ?? "", text: m[2] ?? "" };
  m = /^tpm:(handle|session|parameter)\((\d+|unk)\):\s*(.*)$/.exec(line);
  if (m) return { kind: m[1] ?? "", index: m[2] === "unk" ? undefined : Number(m[2]), text: m[3] ?? "" };
  m = /^(\w+):\s*(.*)$/.exec(line);
  if (m) return { kind: m[1] ?? "", text: m[2] ?? "" };
  throw new Error(`cannot parse tpm2_rc_decode output: ${line}`);
}
/** Table 16 and libtss2-rc differ in punctuation only ("command; forward" vs "command forward"). */
const words = (s: string | undefined) =>
  (s ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();

describe("decodeRc agrees with tpm2_rc_decode", () => {
  it.each(
    [
      0x9a2, 0x98e, 0x921, 0x922, 0x18b, 0x1c4, 0x101, 0x100, 0x14a, 0x902, 0x1d5, 0x2c4, 0x3a2, 0x1d0, 0x90a,
      0x908, 0x128,
    ].map((rc) => ({ rc, code: `0x${rc.toString(16)}` })),
  )("on the name, subject and severity of $code", ({ rc }) => {
    const printed = tpm2RcDecode(rc);
    const ours = decodeRc(rc);
    expect(DESCRIPTION[ours.name], `no Table 16 description for ${ours.name}`).toBeDefined();
    expect(words(printed.text), `${ours.name} (0x${rc.toString(16)})`).toBe(words(DESCRIPTION[ours.name]));
    if (printed.kind === "warn" || printed.kind === "error") {
      expect(ours.subject).toBeUndefined();
      expect(ours.warning).toBe(printed.kind === "warn");
    } else {
      expect(ours.subject).toEqual({ kind: printed.kind, index: printed.index });
      expect(ours.warning).toBe(false);
    }
  });

  it("except on parameters above 7, where the specification, not tpm2_rc_decode, is followed", () => {
    // Part 2 §6.6.3: with P set, N (bits 8-11) is the parameter number, 1 to 15. libtss2-rc
    // 3.2.1 masks N with 7 as it does for sessions, and prints parameter(1) for parameter 9.
    expect(tpm2RcDecode(0x9d5)).toMatchObject({ kind: "parameter", index: 1 });
    expect(decodeRc(0x9d5)).toEqual({
      rc: 0x9d5,
      name: "TPM_RC_SIZE",
      warning: false,
      subject: { kind: "parameter", index: 9 },
    });
  });

  it("on success (0x0)", () => {
    expect(tpm2RcDecode(0).kind).toBe("success");
    expect(decodeRc(0)).toEqual({ rc: 0, name: "TPM_RC_SUCCESS", warning: false });
  });

  it("on a format-1 code that names no handle (0x08b: handle(unk))", () => {
    const printed = tpm2RcDecode(0x8b);
    expect(printed).toMatchObject({ kind: "handle", index: undefined });
    expect(words(printed.text)).toBe(words(DESCRIPTION.TPM_RC_HANDLE));
    expect(decodeRc(0x8b)).toEqual({ rc: 0x8b, name: "TPM_RC_HANDLE", warning: false });
  });

  it("on a vendor-specific error (0x501), which is not the TCG's TPM_RC_FAILURE", () => {
    // Part 2 Figure 26: bit 10 (T) set means the code is vendor-defined.
    expect(tpm2RcDecode(0x501).text).toBe("Vendor specific error: 0x1");
    expect(decodeRc(0x501).name).toMatch(/^TPM_RC_VENDOR_/);
  });

  it("on a vendor-specific warning (0xd01)", () => {
    expect(tpm2RcDecode(0xd01)).toMatchObject({ kind: "warn", text: "Vendor specific error: 0x1" });
    expect(decodeRc(0xd01).name).toMatch(/^TPM_RC_VENDOR_/);
  });

  it("on a code from a software layer, not the TPM (0x80001)", () => {
    expect(tpm2RcDecode(0x80001).kind).toBe("sys"); // layer 8: the SAPI
    expect(decodeRc(0x80001).name).toMatch(/^TSS_RC_LAYER_8_/);
  });
});

describe("TpmResponseError", () => {
  it("names the command, the code, the session and the raw value", () => {
    const err = new TpmResponseError("TPM2_NV_Read", 0x98e);
    expect(err.message).toMatch(/^TPM2_NV_Read failed: TPM_RC_AUTH_FAIL \(session 1\), rc 0x98e/);
    expect(err.code).toBe("TPM_RC_AUTH_FAIL");
    expect(err.rc).toBe(0x98e);
    expect(err.name).toBe("TpmResponseError");
  });

  it.each([
    ["0x18b", "TPM_RC_HANDLE (handle 1)"],
    ["0x1c4", "TPM_RC_VALUE (parameter 1)"],
    ["0x2c4", "TPM_RC_VALUE (parameter 2)"],
    ["0x3a2", "TPM_RC_BAD_AUTH (handle 3)"],
    ["0x9a2", "TPM_RC_BAD_AUTH (session 1)"],
  ])("says which handle, session or parameter %s is about: %s", (code, text) => {
    expect(new TpmResponseError("TPM2_X", Number(code)).message).toContain(text);
  });

  it("tells an operator what TPM_RC_LOCKOUT means and not to retry in a loop", () => {
    const err = new TpmResponseError("TPM2_ActivateCredential", 0x921);
    expect(err.decoded.warning).toBe(true);
    expect(err.message).toMatch(
      /TPM_RC_LOCKOUT, rc 0x921: .*dictionary-attack lockout.*do not retry in a loop/,
    );
  });

  it("names a code it does not know by its value", () => {
    expect(new TpmResponseError("TPM2_X", 0x9f0).message).toContain("TPM_RC_UNKNOWN_0x000009f0");
  });
});
