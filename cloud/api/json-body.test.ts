import { describe, expect, it } from "vitest";
import { ApiError } from "./envelope.js";
import { base64Field, decodeBase64Strict, optionalTextField, textField } from "./json-body.js";

const refusal = (text: string) => {
  try {
    decodeBase64Strict(text, "ek_tpm", 1024);
  } catch (e) {
    return e instanceof ApiError ? `${e.status} ${e.code}` : String(e);
  }
  return "accepted";
};

describe("decodeBase64Strict", () => {
  it("decodes padded standard base64, with or without line breaks", () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 253]);
    const text = bytes.toString("base64");
    expect(Buffer.from(decodeBase64Strict(text, "f", 1024))).toEqual(bytes);
    expect(Buffer.from(decodeBase64Strict(`${text.slice(0, 4)}\r\n${text.slice(4)}\n`, "f", 1024))).toEqual(
      bytes,
    );
  });

  it("refuses other alphabets, bad or missing padding, stray characters and non-zero pad bits", () => {
    expect(refusal("AAECAwQ=")).toBe("accepted");
    expect(refusal("AAECAwQ")).toBe("400 FIELD_NOT_BASE64"); // padding missing
    expect(refusal("AAECAwQ==")).toBe("400 FIELD_NOT_BASE64"); // too much padding
    expect(refusal("AAEC-_Q=")).toBe("400 FIELD_NOT_BASE64"); // base64url alphabet
    expect(refusal("AAEC*wQ=")).toBe("400 FIELD_NOT_BASE64");
    expect(refusal("AA=ECAwQ")).toBe("400 FIELD_NOT_BASE64");
    expect(refusal("AAECAwR=")).toBe("400 FIELD_NOT_BASE64"); // R: pad bits set, not what an encoder writes
    expect(refusal(" \n ")).toBe("400 FIELD_EMPTY");
    expect(refusal("A".repeat(2000))).toBe("400 FIELD_TOO_LONG");
  });
});

describe("text fields", () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e instanceof ApiError ? `${e.status} ${e.code}` : String(e);
    }
    return "accepted";
  };

  it("refuses half of a UTF-16 pair (from a JSON \\ud83d escape), which no UTF-8 text can hold", () => {
    const body = JSON.parse('{"lone": "board-\\ud83d", "low": "\\ude00x", "pair": "board-\\ud83d\\ude00"}');
    expect(code(() => textField(body, "lone"))).toBe("400 FIELD_NOT_TEXT");
    expect(code(() => optionalTextField(body, "low"))).toBe("400 FIELD_NOT_TEXT");
    expect(textField(body, "pair")).toBe("board-😀");
    expect(code(() => base64Field({ b: "AAEC\ud83d" }, "b", 64))).toBe("400 FIELD_NOT_BASE64");
  });
});
