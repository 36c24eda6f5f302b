// TPM2B_ID_OBJECT (Part 2 §11.4.10, §11.4.11) and TPM2B_ENCRYPTED_SECRET (§11.4.33).
import { describe, expect, it } from "vitest";
import { marshal, unmarshal } from "../codec/codec.js";
import { TPM2B_ENCRYPTED_SECRET, TPM2B_ID_OBJECT } from "./credential.js";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("TPM2B_ID_OBJECT", () => {
  // For a SHA-256 EK: integrityHMAC is a 32-byte TPM2B_DIGEST, and encIdentity is the
  // CFB-encrypted TPM2B_DIGEST of a 32-byte credential (2 + 32 bytes), with no size of its own.
  const HMAC = "a5".repeat(32);
  const ENC = "5a".repeat(34);
  const BYTES = hex(`0044 0020 ${HMAC} ${ENC}`);

  it("takes encIdentity as the rest of the sized structure", () => {
    expect(unmarshal(TPM2B_ID_OBJECT, BYTES)).toStrictEqual({
      integrityHMAC: hex(HMAC),
      encIdentity: hex(ENC),
    });
  });

  it("encodes it to the same bytes", () => {
    expect(toHex(marshal(TPM2B_ID_OBJECT, { integrityHMAC: hex(HMAC), encIdentity: hex(ENC) }))).toBe(
      toHex(BYTES),
    );
  });

  it("refuses an encIdentity longer than an encrypted TPM2B_DIGEST (66 bytes)", () => {
    expect(() => unmarshal(TPM2B_ID_OBJECT, hex(`0045 0000 ${"00".repeat(67)}`))).toThrow(
      "67 bytes exceed the maximum of 66",
    );
  });
});

describe("TPM2B_ENCRYPTED_SECRET", () => {
  it("refuses a secret longer than a 4096-bit RSA ciphertext", () => {
    expect(() => unmarshal(TPM2B_ENCRYPTED_SECRET, hex(`0201 ${"00".repeat(513)}`))).toThrow(
      "size 513 exceeds the maximum of 512",
    );
  });
});
