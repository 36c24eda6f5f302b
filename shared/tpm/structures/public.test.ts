// TPMT_PUBLIC / TPM2B_PUBLIC (Part 2 §12.2.4, §12.2.5) and TPM2B_SENSITIVE_CREATE (§12.3.2.4)
// against bytes written out by hand from the specification.
import { describe, expect, it } from "vitest";
import { marshal, TpmDecodeError, unmarshal } from "../codec/codec.js";
import { TPM_ALG } from "../constants.js";
import { TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMT_PUBLIC, type TpmtPublic } from "./public.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const zeros = (n: number) => new Uint8Array(n);

/** PolicySecret(TPM_RH_ENDORSEMENT) in SHA-256: the EK policy of the TCG EK Credential Profile. */
const EK_POLICY = "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa";

describe("TPM2B_PUBLIC", () => {
  // TCG EK Credential Profile 2.5, template L-1 (RSA 2048 storage key), with a zero modulus:
  // size | type RSA | nameAlg SHA-256 | TPMA_OBJECT fixedTPM|fixedParent|sensitiveDataOrigin|
  // adminWithPolicy|restricted|decrypt | authPolicy | symmetric AES-128-CFB | scheme NULL |
  // keyBits 2048 | exponent 0 (= 65537) | unique: 256 zero bytes.
  const L1 = hex(`
    013a
    0001 000b 000300b2
    0020 ${EK_POLICY}
    0006 0080 0043
    0010
    0800
    00000000
    0100 ${"00".repeat(256)}`);
  const L1_VALUE: TpmtPublic = {
    type: TPM_ALG.RSA,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: 0x000300b2,
    authPolicy: hex(EK_POLICY),
    parameters: {
      symmetric: { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
      scheme: { scheme: TPM_ALG.NULL },
      keyBits: 2048,
      exponent: 0,
    },
    unique: zeros(256),
  };

  it("decodes the RSA EK template L-1", () => {
    expect(unmarshal(TPM2B_PUBLIC, L1)).toStrictEqual(L1_VALUE);
  });

  it("encodes the RSA EK template L-1 to the profile's bytes", () => {
    expect(toHex(marshal(TPM2B_PUBLIC, L1_VALUE))).toBe(toHex(L1));
  });

  it("refuses a size that covers more than the public area", () => {
    const longer = hex(`013b ${toHex(L1.subarray(2))} 00`);
    expect(() => unmarshal(TPM2B_PUBLIC, longer)).toThrow("size field says 315 but the TPMT_PUBLIC uses 314");
  });

  it("refuses a size that covers less than the public area", () => {
    const shorter = hex(`0139 ${toHex(L1.subarray(2))}`);
    expect(() => unmarshal(TPM2B_PUBLIC, shorter)).toThrow(TpmDecodeError);
  });
});

describe("TPMT_PUBLIC", () => {
  // TCG EK Credential Profile 2.5, template L-2 (ECC NIST P-256): symmetric AES-128-CFB,
  // scheme NULL, curveID TPM_ECC_NIST_P256 (0x0003), kdf NULL, unique x and y of 32 zero bytes.
  const L2 = hex(`
    0023 000b 000300b2
    0020 ${EK_POLICY}
    0006 0080 0043
    0010
    0003
    0010
    0020 ${"00".repeat(32)}
    0020 ${"00".repeat(32)}`);

  it("decodes the ECC EK template L-2", () => {
    expect(unmarshal(TPMT_PUBLIC, L2)).toStrictEqual({
      type: TPM_ALG.ECC,
      nameAlg: TPM_ALG.SHA256,
      objectAttributes: 0x000300b2,
      authPolicy: hex(EK_POLICY),
      parameters: {
        symmetric: { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
        scheme: { scheme: TPM_ALG.NULL },
        curveID: 0x0003,
        kdf: { scheme: TPM_ALG.NULL },
      },
      unique: { x: zeros(32), y: zeros(32) },
    });
  });

  it("encodes an ECDSA signing key with its scheme's hash (§11.2.5.6)", () => {
    const ak: TpmtPublic = {
      type: TPM_ALG.ECC,
      nameAlg: TPM_ALG.SHA256,
      objectAttributes: 0x00050072, // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign
      authPolicy: new Uint8Array(),
      parameters: {
        symmetric: { algorithm: TPM_ALG.NULL },
        scheme: { scheme: TPM_ALG.ECDSA, hashAlg: TPM_ALG.SHA256 },
        curveID: 0x0003,
        kdf: { scheme: TPM_ALG.NULL },
      },
      unique: { x: new Uint8Array(), y: new Uint8Array() },
    };
    expect(toHex(marshal(TPMT_PUBLIC, ak))).toBe(
      toHex(hex("0023 000b 00050072 0000 0010 0018 000b 0003 0010 0000 0000")),
    );
  });

  it("decodes a keyed-hash object with an HMAC scheme (§12.2.3.3, §11.1.23)", () => {
    const bytes = hex(`0008 000b 00000012 0000 0005 000b 0020 ${"ab".repeat(32)}`);
    expect(unmarshal(TPMT_PUBLIC, bytes)).toStrictEqual({
      type: TPM_ALG.KEYEDHASH,
      nameAlg: TPM_ALG.SHA256,
      objectAttributes: 0x12,
      authPolicy: new Uint8Array(),
      parameters: { scheme: { scheme: TPM_ALG.HMAC, hashAlg: TPM_ALG.SHA256 } },
      unique: hex("ab".repeat(32)),
    });
  });

  it("decodes a symmetric cipher object (§12.2.3.4)", () => {
    const bytes = hex("0025 000b 00020072 0000 0006 0100 0043 0000");
    expect(unmarshal(TPMT_PUBLIC, bytes)).toStrictEqual({
      type: TPM_ALG.SYMCIPHER,
      nameAlg: TPM_ALG.SHA256,
      objectAttributes: 0x00020072,
      authPolicy: new Uint8Array(),
      parameters: { sym: { algorithm: TPM_ALG.AES, keyBits: 256, mode: TPM_ALG.CFB } },
      unique: new Uint8Array(),
    });
  });

  it("refuses an object type it does not know, naming the selector", () => {
    expect(() => unmarshal(TPMT_PUBLIC, hex("0099 000b 00000000 0000"))).toThrow(
      "TPMT_PUBLIC: type 0x0099 is not one of 0x0001, 0x0023, 0x0008, 0x0025",
    );
  });

  it("refuses a symmetric algorithm that is not a block cipher or NULL", () => {
    // 0x000a is TPM_ALG_XOR, allowed in TPMT_SYM_DEF (sessions) but not TPMT_SYM_DEF_OBJECT.
    expect(() => unmarshal(TPMT_PUBLIC, hex("0001 000b 00000000 0000 000a 000b"))).toThrow(
      /algorithm 0x000a is not one of/,
    );
  });

  it("refuses an RSA modulus longer than 4096 bits", () => {
    const bytes = hex(`0001 000b 00000000 0000 0010 0010 0800 00000000 0201 ${"00".repeat(513)}`);
    expect(() => unmarshal(TPMT_PUBLIC, bytes)).toThrow("size 513 exceeds the maximum of 512");
  });
});

describe("TPM2B_SENSITIVE_CREATE", () => {
  it("encodes userAuth and data as two TPM2Bs inside a sized structure (§12.3.2.3)", () => {
    const value = { userAuth: new TextEncoder().encode("abc"), data: new Uint8Array() };
    expect(toHex(marshal(TPM2B_SENSITIVE_CREATE, value))).toBe(toHex(hex("0007 0003 616263 0000")));
  });

  it("refuses sensitive data longer than MAX_SYM_DATA (128)", () => {
    const bytes = hex(`0085 0000 0081 ${"00".repeat(129)}`);
    expect(() => unmarshal(TPM2B_SENSITIVE_CREATE, bytes)).toThrow("size 129 exceeds the maximum of 128");
  });
});
