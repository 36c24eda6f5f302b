// Retrying while the registrar is unreachable or answering 5xx (DESIGN §7: the agent may start
// before the registrar, and a registrar may be down for days): exponential backoff with full
// jitter in the upper half (so a fleet that booted together does not knock in step), capped,
// within one deadline for the whole run (--max-wait). Refusals (4xx) are never retried.
import { setTimeout as sleep } from "node:timers/promises";
import { RegistrarUnreachableError } from "../errors.js";
import { TransientRegistrarError } from "./http.js";

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

export interface RetryPolicy {
  /** Total time allowed, from the first attempt. */
  maxWaitMs: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  random?: () => number;
}

/** The wait before attempt `n + 1` (n ≥ 1): FIRST·2^(n−1), capped, times a factor in [0.5, 1). */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (n - 1));
  return Math.round(base * (0.5 + random() / 2));
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/** One deadline shared by every request of a run. */
export class Retrier {
  private readonly deadline: number;
  private attempts = 0;
  constructor(private readonly policy: RetryPolicy) {
    this.deadline = Date.now() + policy.maxWaitMs;
  }

  /** Runs `attempt` until it succeeds, fails for good, or the deadline passes. */
  async run<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    let failures = 0;
    for (;;) {
      this.attempts++;
      try {
        return await attempt();
      } catch (e) {
        if (!(e instanceof TransientRegistrarError)) throw e;
        failures++;
        const left = this.deadline - Date.now();
        if (left <= 0) {
          throw new RegistrarUnreachableError(
            "REGISTRAR_UNREACHABLE",
            `gave up on ${what} after ${seconds(this.policy.maxWaitMs)} (--max-wait) and ${this.attempts} attempt(s): ${e.message}. Check the registrar URL and the network, then run the agent again`,
          );
        }
        const wanted =
          e.retryAfterS !== undefined ? e.retryAfterS * 1000 : backoffMs(failures, this.policy.random);
        const wait = Math.min(wanted, left);
        this.policy.log(
          `${e.message}; retrying ${what} in ${seconds(wait)} (${seconds(left)} left of --max-wait)`,
        );
        await sleep(wait);
      }
    }
  }
}
