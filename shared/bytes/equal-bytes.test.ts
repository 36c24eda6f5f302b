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

  it("takes two nulls as equal, and null as unlike any bytes, even none", () => {
    expect(equalBytes(null, null)).toBe(true);
    expect(equalBytes(null, new Uint8Array(0))).toBe(false);
    expect(equalBytes(new Uint8Array([1]), null)).toBe(false);
  });
});
