import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";

describe("parseDuration", () => {
  it("reads each unit, and plain seconds", () => {
    expect(parseDuration("500ms", "--x")).toBe(500);
    expect(parseDuration("90s", "--x")).toBe(90_000);
    expect(parseDuration("5m", "--x")).toBe(300_000);
    expect(parseDuration("2h", "--x")).toBe(7_200_000);
    expect(parseDuration("7d", "--x")).toBe(604_800_000);
    expect(parseDuration("30", "--x")).toBe(30_000);
    expect(parseDuration("1.5s", "--x")).toBe(1500);
  });

  it("refuses what is not a duration, naming the option", () => {
    for (const bad of ["", "5 minutes", "-5s", "0", "5w", "1e3", "400d"])
      expect(() => parseDuration(bad, "--max-wait")).toThrow(/--max-wait/);
  });
});
