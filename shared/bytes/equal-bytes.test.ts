import { describe, expect, it } from "vitest";
import { equalBytes } from "./equal-bytes.js";

describe("equalBytes", () => {
  it("compares the bytes a view shows, not the buffer behind it", () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    expect(equalBytes(backing.subarray(1, 4), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(equalBytes(backing.subarray(1, 4), backing.subarray(0, 3))).toBe(false);
    expect(equalBytes(backing.subarray(1, 4), new Uint8Array([1, 2]))).toBe(false);
    expect(equalBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it("takes a missing value as equal only to the same missing value, never to bytes, even none", () => {
    expect(equalBytes(null, null)).toBe(true);
    expect(equalBytes(undefined, undefined)).toBe(true);
    expect(equalBytes(null, new Uint8Array(0))).toBe(false);
    expect(equalBytes(new Uint8Array([1]), undefined)).toBe(false);
    expect(equalBytes(null, undefined)).toBe(false);
  });
});
