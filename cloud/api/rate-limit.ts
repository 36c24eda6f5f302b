// Fixed-window rate limits (DESIGN §6): per source address on the agent API and per EK on
// registrations, so one device cannot flood the registrar. In memory and bounded: at most
// `maxKeys` windows are kept; when full, ended windows are dropped first, then the oldest ones.
import type { RateLimit } from "../registrar/config.js";

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  readonly #windowMs: number;

  constructor(
    readonly limit: RateLimit,
    /** Milliseconds since the epoch. */
    readonly clock: () => number = Date.now,
    readonly maxKeys = 100_000,
  ) {
    this.#windowMs = limit.windowSeconds * 1000;
  }

  /** Counts one request for `key`; refuses it when its window is full. */
  take(key: string): RateDecision {
    const now = this.clock();
    let w = this.#windows.get(key);
    if (w === undefined || now - w.start >= this.#windowMs || now < w.start) {
      if (w !== undefined)
        this.#windows.delete(key); // re-insert: Map order stays oldest first
      else if (this.#windows.size >= this.maxKeys) this.#evict(now);
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    if (w.count >= this.limit.requests)
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((w.start + this.#windowMs - now) / 1000)),
      };
    w.count++;
    return { ok: true };
  }

  /** Windows currently held. */
  get size(): number {
    return this.#windows.size;
  }

  #evict(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(key);
    // Leave a tenth free, so that the next inserts do not sweep again: drop the oldest windows
    // (Map iteration is insertion order, and a window is re-inserted when it restarts).
    const target = this.maxKeys - Math.max(1, Math.floor(this.maxKeys / 10));
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= target) break;
      this.#windows.delete(key);
    }
  }
}
