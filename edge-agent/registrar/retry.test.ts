import { describe, expect, it } from "vitest";
import { RegistrarRefusedError, RegistrarUnreachableError } from "../errors.js";
import { TransientRegistrarError } from "./http.js";
import { backoffMs, Retrier } from "./retry.js";

describe("retries", () => {
  it("back off exponentially from 0.5 s to a 30 s cap, jittered into the upper half", () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, () => 0.999_999))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(1, () => 0)).toBe(250);
    expect(backoffMs(20, () => 0.999_999)).toBe(30_000);
  });

  it("retry transient failures until one succeeds, logging each", async () => {
    const lines: string[] = [];
    let n = 0;
    const r = new Retrier({ maxWaitMs: 10_000, log: (l) => lines.push(l), random: () => 0 });
    const v = await r.run("the test", async () => {
      if (++n < 3) throw new TransientRegistrarError("down");
      return "up";
    });
    expect(v).toBe("up");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^down; retrying the test in 0\.3 s/);
  });

  it("give up at the deadline with RegistrarUnreachableError, and never retry a refusal", async () => {
    const r = new Retrier({ maxWaitMs: 300, log: () => {}, random: () => 0 });
    await expect(r.run("x", async () => Promise.reject(new TransientRegistrarError("down")))).rejects.toThrow(
      RegistrarUnreachableError,
    );
    let calls = 0;
    const refusal = new RegistrarRefusedError(403, "no", "NOT_PRE_REGISTERED", "x");
    await expect(
      new Retrier({ maxWaitMs: 5000, log: () => {} }).run("x", async () => {
        calls++;
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(calls).toBe(1);
  });
});
