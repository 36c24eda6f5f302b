import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit.js";

describe("RateLimiter", () => {
  it("allows `requests` per window, then refuses with the seconds left in the window", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ requests: 2, windowSeconds: 60 }, () => now);
    expect(limiter.take("a")).toEqual({ ok: true });
    now += 10_000;
    expect(limiter.take("a")).toEqual({ ok: true });
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterSeconds: 50 });
    expect(limiter.take("b")).toEqual({ ok: true });
    now += 50_000;
    expect(limiter.take("a")).toEqual({ ok: true });
  });

  it("stays bounded: ended windows go first, then the oldest", () => {
    let now = 0;
    const limiter = new RateLimiter({ requests: 1, windowSeconds: 1 }, () => now, 100);
    for (let i = 0; i < 100; i++) limiter.take(`old-${i}`);
    expect(limiter.size).toBe(100);
    now = 2_000; // every window has ended
    limiter.take("new");
    expect(limiter.size).toBe(1);
    for (let i = 0; i < 150; i++) limiter.take(`live-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    // The newest keys are still limited; the oldest were dropped.
    expect(limiter.take("live-149").ok).toBe(false);
  });
});
