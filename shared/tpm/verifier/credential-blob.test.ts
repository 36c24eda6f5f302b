import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CredentialBlobError, decodeCredentialBlob, encodeCredentialBlob } from "./credential-blob.js";
import { CRED_FILE } from "./testdata/tpm2-tools.js";

const codeOf = (bytes: Uint8Array): string => {
  try {
    decodeCredentialBlob(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(CredentialBlobError);
    return (e as CredentialBlobError).code;
  }
  return "ok";
};
const withByte = (b: Uint8Array, at: number, v: number) => {
  const c = Uint8Array.from(b);
  c[at] = v;
  return c;
};

describe("the tpm2-tools credential blob", () => {
  it("decodes the file tpm2_makecredential wrote and encodes it back byte for byte", () => {
    const decoded = decodeCredentialBlob(CRED_FILE);
    // RSA-2048 EK with SHA-256: 32-byte HMAC, 2 + 32-byte encIdentity, 256-byte OAEP secret.
    expect(decoded.credentialBlob.integrityHMAC.length).toBe(32);
    expect(decoded.credentialBlob.encIdentity.length).toBe(34);
    expect(decoded.secret.length).toBe(256);
    expect(Buffer.from(encodeCredentialBlob(decoded))).toEqual(Buffer.from(CRED_FILE));
  });

  it("starts with the magic 0xBADCC0DE and version 1, big-endian", () => {
    const bytes = encodeCredentialBlob(decodeCredentialBlob(CRED_FILE));
    expect(Buffer.from(bytes.subarray(0, 8)).toString("hex")).toBe("badcc0de00000001");
  });

  it("refuses another magic", () => {
    expect(codeOf(withByte(CRED_FILE, 0, 0xba ^ 1))).toBe("CREDENTIAL_BLOB_BAD_MAGIC");
    expect(() => decodeCredentialBlob(withByte(CRED_FILE, 3, 0), "blob of agent X")).toThrow(
      /^blob of agent X starts with 0xBADCC000/,
    );
  });

  it("refuses versions other than 1", () => {
    expect(codeOf(withByte(CRED_FILE, 7, 2))).toBe("CREDENTIAL_BLOB_BAD_VERSION");
    expect(codeOf(withByte(CRED_FILE, 7, 0))).toBe("CREDENTIAL_BLOB_BAD_VERSION");
  });

  it("refuses every truncation of a valid blob as TRUNCATED", () => {
    for (let n = 0; n < CRED_FILE.length; n++) {
      expect(codeOf(CRED_FILE.subarray(0, n)), `first ${n} bytes`).toBe("CREDENTIAL_BLOB_TRUNCATED");
    }
  });

  it("refuses trailing bytes", () => {
    expect(codeOf(Buffer.concat([CRED_FILE, Buffer.from([0])]))).toBe("CREDENTIAL_BLOB_TRAILING_BYTES");
  });

  it("refuses an ID object larger than any TPM makes, and an empty secret", () => {
    // TPM2B_ID_OBJECT size field (bytes 8–9) pointing past the 66-byte encIdentity bound.
    const big = encodeCredentialBlob({
      credentialBlob: { integrityHMAC: new Uint8Array(32), encIdentity: new Uint8Array(34) },
      secret: new Uint8Array(4),
    });
    expect(codeOf(big)).toBe("ok");
    const grown = Buffer.concat([
      big.subarray(0, 8),
      Buffer.from([0x00, 0x44 + 40]),
      big.subarray(10, 78),
      Buffer.alloc(40),
      big.subarray(78),
    ]);
    expect(codeOf(grown)).toBe("CREDENTIAL_BLOB_MALFORMED");
    const noSecret = Buffer.concat([CRED_FILE.subarray(0, 8 + 2 + 68), Buffer.from([0, 0])]);
    expect(codeOf(noSecret)).toBe("CREDENTIAL_BLOB_MALFORMED");
  });

  it("refuses an integrityHMAC size beyond any digest", () => {
    expect(codeOf(withByte(CRED_FILE, 11, 0x60))).toBe("CREDENTIAL_BLOB_MALFORMED");
  });

  it("throws only CredentialBlobError for arbitrary bytes, with or without a valid header", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.boolean(), (tail, withHeader) => {
        const bytes = withHeader ? Buffer.concat([CRED_FILE.subarray(0, 8), tail]) : tail;
        const code = codeOf(bytes);
        expect(code).toMatch(/^(ok|CREDENTIAL_BLOB_[A-Z_]+)$/);
      }),
      { numRuns: 500 },
    );
  });
});
