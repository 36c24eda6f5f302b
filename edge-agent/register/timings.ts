// Where a registration's wall time goes, split three ways for the benchmark (issue 6): inside
// TPM phases, waiting for the registrar (retries included), and the agent's own work (the rest).
export interface Timings {
  total: number;
  tpm: number;
  registrar: number;
  agent: number;
}

export class Stopwatch {
  private readonly started = performance.now();
  private tpmMs = 0;
  private registrarMs = 0;

  /** Times `fn` as TPM work. */
  tpm<T>(fn: () => Promise<T>): Promise<T> {
    return this.time(fn, (ms) => {
      this.tpmMs += ms;
    });
  }

  /** Times `fn` as waiting for the registrar. */
  registrar<T>(fn: () => Promise<T>): Promise<T> {
    return this.time(fn, (ms) => {
      this.registrarMs += ms;
    });
  }

  private async time<T>(fn: () => Promise<T>, add: (ms: number) => void): Promise<T> {
    const t = performance.now();
    try {
      return await fn();
    } finally {
      add(performance.now() - t);
    }
  }

  /** Milliseconds, rounded to 0.1 ms. */
  result(): Timings {
    const r = (ms: number) => Math.round(ms * 10) / 10;
    const total = performance.now() - this.started;
    return {
      total: r(total),
      tpm: r(this.tpmMs),
      registrar: r(this.registrarMs),
      agent: r(total - this.tpmMs - this.registrarMs),
    };
  }
}
