// The registrar CLI's argument helpers, without spawning a process.
import { describe, expect, it } from "vitest";
import { parseCommandArgs, parseIsoDate, UsageError } from "../../shared/cli/args.js";

describe("parseIsoDate (--at)", () => {
  it.each([
    ["2026-06-01", "2026-06-01T00:00:00.000Z"],
    ["2026-06-01T12:30:00Z", "2026-06-01T12:30:00.000Z"],
    ["2026-06-01T12:30", "2026-06-01T12:30:00.000Z"],
    ["2026-06-01T12:30:00+02:00", "2026-06-01T10:30:00.000Z"],
    ["2026-06-01T12:30:00.25-0130", "2026-06-01T14:00:00.250Z"],
  ])("reads %s as %s (UTC when no offset is given)", (text, iso) => {
    expect(parseIsoDate(text, "--at").toISOString()).toBe(iso);
  });

  it.each(["yesterday", "06/01/2026", "2026-6-1", "1717200000", "2026-06-01T12"])(
    "refuses %s as not ISO 8601",
    (text) => {
      expect(() => parseIsoDate(text, "--at")).toThrow(/not an ISO 8601 date/);
    },
  );

  it.each(["2026-02-30", "2026-13-01", "2026-06-01T24:00:00Z", "2026-06-01T12:60Z"])(
    "refuses the impossible date %s instead of rolling it over",
    (text) => {
      expect(() => parseIsoDate(text, "--at")).toThrow(/not a valid date/);
    },
  );
});

describe("parseCommandArgs", () => {
  it("turns parseArgs' unknown-option error into a usage error naming the command", () => {
    let error: unknown;
    try {
      parseCommandArgs("ekcert verify", ["--nope"], { json: { type: "boolean" } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).command).toBe("ekcert verify");
    expect((error as UsageError).message).toContain("--nope");
  });
});
