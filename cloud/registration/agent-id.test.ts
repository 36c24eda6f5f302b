import { describe, expect, it } from "vitest";
import { checkAgentId } from "./agent-id.js";
import { RegistrationError } from "./errors.js";

describe("agent ids", () => {
  it.each([
    "d432fbb3-d2f1-4a97-9ef7-75bd81c00000",
    "5f2c3e8a0b1d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60",
    "rpi-4.lab_01",
  ])("accepts %s", (id) => {
    expect(checkAgentId(id)).toBe(id);
  });

  it.each(["", "../etc", "a/b", "-leading-dash", "a b", "é", "x".repeat(256)])("refuses %j", (id) => {
    expect(() => checkAgentId(id)).toThrow(RegistrationError);
    expect(() => checkAgentId(id)).toThrow(/is not valid: use 1–255 letters/);
  });
});
