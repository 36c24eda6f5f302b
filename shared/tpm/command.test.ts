// Command and response frames (TPM 2.0 Part 1 §18.2, §18.3) for a few commands, written out by
// hand from Part 3. Frame layouts:
//   command:  tag | commandSize | commandCode | handles | [authorizationSize | auths] | parameters
//   response: tag | responseSize | responseCode | handles | [parameterSize] | parameters | [auths]
import { describe, expect, it } from "vitest";
import { authEntry, password } from "./auth.js";
import { TpmDecodeError, TpmEncodeError } from "./codec/codec.js";
import { type AuthEntry, marshalCommand, responseCode, unmarshalResponse } from "./command.js";
import {
  ActivateCredential,
  GetRandom,
  Load,
  NV_Read,
  PCR_Read,
  ReadPublic,
  Startup,
} from "./commands/index.js";
import { TPM_ALG, TPM_SU } from "./constants.js";
import { TpmResponseError } from "./rc.js";
import { asHandle, TPM_RH } from "./types.js";

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

/** Part 2 §7.4 TPM_RS_PW with an empty password and continueSession (TPMA_SESSION bit 0). */
const PW: AuthEntry = {
  sessionHandle: 0x40000009,
  nonce: new Uint8Array(),
  sessionAttributes: 0x01,
  hmac: new Uint8Array(),
};

describe("marshalCommand", () => {
  it("lays out TPM2_GetRandom(8) as in Part 3 §16.1", () => {
    // TPM_ST_NO_SESSIONS | 12 bytes | TPM_CC_GetRandom | bytesRequested 8
    expect(toHex(marshalCommand(GetRandom, { bytesRequested: 8 }, []))).toBe("80010000000c0000017b0008");
  });

  it("lays out TPM2_Startup(TPM_SU_CLEAR) (Part 3 §9.3)", () => {
    expect(toHex(marshalCommand(Startup, { startupType: TPM_SU.CLEAR }, []))).toBe(
      "80010000000c000001440000",
    );
  });

  it("puts a handle straight after the command code (TPM2_ReadPublic, Part 3 §12.4)", () => {
    const frame = marshalCommand(ReadPublic, { objectHandle: asHandle(0x81010001) }, []);
    expect(toHex(frame)).toBe(toHex(hex("8001 0000000e 00000173 81010001")));
  });

  it("lays out a PCR selection parameter (TPM2_PCR_Read of SHA-256 PCRs 0-7, Part 3 §22.4)", () => {
    const frame = marshalCommand(
      PCR_Read,
      { pcrSelectionIn: [{ hash: TPM_ALG.SHA256, pcrSelect: hex("ff0000") }] },
      [],
    );
    expect(toHex(frame)).toBe(toHex(hex("8001 00000014 0000017e 00000001 000b 03 ff0000")));
  });

  it("adds the authorization area, after the handles, for a command with an auth handle", () => {
    // TPM2_NV_Read (Part 3 §31.13): TPM_ST_SESSIONS | 35 bytes | TPM_CC_NV_Read |
    // authHandle TPM_RH_OWNER | nvIndex | authorizationSize 9 | TPM_RS_PW, empty nonce,
    // continueSession, empty hmac | size 128 | offset 0.
    const frame = marshalCommand(
      NV_Read,
      { authHandle: TPM_RH.OWNER, nvIndex: asHandle(0x01c00002), size: 128, offset: 0 },
      [PW],
    );
    expect(toHex(frame)).toBe(
      toHex(hex("8002 00000023 0000014e 40000001 01c00002 00000009 40000009 0000 01 0000 0080 0000")),
    );
  });

  it("authorizes with the empty password through TPM_RS_PW by default", () => {
    expect(authEntry(password())).toEqual(PW);
  });

  it("puts one TPMS_AUTH_COMMAND per auth handle, in handle order (TPM2_ActivateCredential, Part 3 §12.5)", () => {
    const policySession: AuthEntry = { ...PW, sessionHandle: 0x03000000 };
    const withPassword: AuthEntry = { ...PW, hmac: new TextEncoder().encode("abc") };
    const frame = marshalCommand(
      ActivateCredential,
      {
        activateHandle: asHandle(0x80000001),
        keyHandle: asHandle(0x81010001),
        credentialBlob: { integrityHMAC: hex("aaaa"), encIdentity: hex("bb") },
        secret: hex("cccc"),
      },
      [withPassword, policySession],
    );
    expect(toHex(frame)).toBe(
      toHex(
        hex(`8002 00000036 00000147 80000001 81010001
             00000015 40000009 0000 01 0003 616263  03000000 0000 01 0000
             0005 0002 aaaa bb  0002 cccc`),
      ),
    );
  });

  it("refuses a number of authorizations that does not match the auth handles", () => {
    expect(() =>
      marshalCommand(NV_Read, { authHandle: TPM_RH.OWNER, nvIndex: asHandle(1), size: 1, offset: 0 }, []),
    ).toThrow("TPM2_NV_Read needs 1 authorization(s), got 0");
  });

  it("refuses a handle that is not a u32, naming the slot", () => {
    const err = thrown(() => marshalCommand(ReadPublic, { objectHandle: asHandle(-1) }, []));
    expect(err).toBeInstanceOf(TpmEncodeError);
    expect((err as TpmEncodeError).path).toBe("TPM2_ReadPublic.objectHandle");
  });
});

describe("unmarshalResponse", () => {
  it("decodes a response without sessions (TPM2_GetRandom)", () => {
    const frame = hex("8001 00000014 00000000 0008 0102030405060708");
    expect(unmarshalResponse(GetRandom, frame)).toEqual({ randomBytes: hex("0102030405060708") });
  });

  it("decodes a response with sessions: parameterSize, then the parameters, then the auths", () => {
    const frame = hex("8002 00000019 00000000 00000006 0004 deadbeef 0000 01 0000");
    expect(unmarshalResponse(NV_Read, frame)).toEqual({ data: hex("deadbeef") });
  });

  it("returns a response handle, which comes before parameterSize (TPM2_Load)", () => {
    const frame = hex("8002 0000001d 00000000 80000001 00000006 0004 40000001 0000 01 0000");
    expect(unmarshalResponse(Load, frame)).toEqual({ objectHandle: 0x80000001, name: hex("40000001") });
  });

  it("refuses a responseSize that is not the frame's length", () => {
    const frame = hex("8001 00000015 00000000 0008 0102030405060708");
    const err = thrown(() => unmarshalResponse(GetRandom, frame));
    expect(err).toBeInstanceOf(TpmDecodeError);
    expect((err as Error).message).toContain("header says 21 bytes but 20 arrived");
  });

  it("refuses a frame shorter than the 10-byte header", () => {
    expect(() => unmarshalResponse(GetRandom, hex("8001 0000000a 0000"))).toThrow(TpmDecodeError);
  });

  it("refuses TPM_ST_SESSIONS in answer to a command sent without sessions", () => {
    const frame = hex("8002 00000014 00000000 0008 0102030405060708");
    expect(() => unmarshalResponse(GetRandom, frame)).toThrow(
      "does not match a command sent with 0 session(s)",
    );
  });

  it("refuses TPM_ST_NO_SESSIONS in answer to a command sent with a session", () => {
    const frame = hex("8001 00000010 00000000 0004 deadbeef");
    expect(() => unmarshalResponse(NV_Read, frame)).toThrow(
      "does not match a command sent with 1 session(s)",
    );
  });

  it("refuses a tag that is neither TPM_ST_SESSIONS nor TPM_ST_NO_SESSIONS", () => {
    const frame = hex("8000 00000014 00000000 0008 0102030405060708");
    expect(() => unmarshalResponse(GetRandom, frame)).toThrow("unexpected tag 0x8000");
  });

  it("refuses a response that leaves the authorization area out", () => {
    const frame = hex("8002 00000014 00000000 00000006 0004 deadbeef");
    expect(() => unmarshalResponse(NV_Read, frame)).toThrow(TpmDecodeError);
  });

  it("throws TpmResponseError for a non-zero response code, naming the command and the session", () => {
    const err = thrown(() => unmarshalResponse(NV_Read, hex("8001 0000000a 0000098e")));
    expect(err).toBeInstanceOf(TpmResponseError);
    expect(err).toMatchObject({ command: "TPM2_NV_Read", rc: 0x98e, code: "TPM_RC_AUTH_FAIL" });
    expect((err as Error).message).toContain("TPM_RC_AUTH_FAIL (session 1)");
  });
});

describe("responseCode", () => {
  it("reads the code from the header alone", () => {
    expect(responseCode(hex("8001 0000000a 00000922"))).toBe(0x922);
  });

  it("refuses a frame shorter than a header", () => {
    expect(() => responseCode(hex("8001 0000000a 0009"))).toThrow(TpmDecodeError);
  });
});
