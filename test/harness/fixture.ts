// vitest glue: a per-file fleet whose TPMs are all stopped in afterAll, whatever happened in
// the tests or their afterEach hooks (vitest runs afterAll regardless, and every stop is
// attempted even when one fails). A killed worker is covered by the globalSetup teardown
// (global-setup.ts), and a process that exits normally by the 'exit' hook (run-dir.ts).
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { type ManufactureOptions, manufactureTpm, type SimTpm } from "./manufacture.js";
import { createTestPki, type TestPki } from "./pki.js";
import { keepRunFiles, runDir } from "./run-dir.js";
import { transientHandles } from "./tpm2-tools.js";

export interface Fleet<K extends string = never> {
  /** The file's test PKI; available from beforeAll on (inside tests and hooks). */
  readonly pki: TestPki;
  /** A TPM of the preset given to useFleet(), manufactured in beforeAll. */
  tpm(name: K): SimTpm;
  /** Manufacture one more TPM now; it too is stopped after the file's tests. */
  manufacture(opts: ManufactureOptions): Promise<SimTpm>;
  /** Every TPM manufactured so far in this file. */
  readonly tpms: readonly SimTpm[];
}

/**
 * Call at the top of a test file or inside a describe(). The TPMs of `preset` are made in
 * beforeAll, all at once and while the PKI is being generated (swtpm_setup mostly waits, so
 * ten take little longer than one).
 */
export function useFleet<K extends string = never>(preset?: Record<K, ManufactureOptions>): Fleet<K> {
  let pki: TestPki | undefined;
  let dir: string | undefined;
  const tpms: SimTpm[] = [];
  const named = new Map<K, SimTpm>();

  const track = async (made: Promise<SimTpm>): Promise<SimTpm> => {
    const tpm = await made;
    tpms.push(tpm);
    return tpm;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(runDir(), "fleet-"));
    const tpmsDir = join(dir, "tpms");
    const pkiPromise = createTestPki(join(dir, "pki"));
    pkiPromise.catch(() => {}); // awaited below; this only keeps a failure from being "unhandled"
    const names = Object.keys(preset ?? {}) as K[];
    // allSettled: every TPM that did start is tracked (and so stopped) even if another failed.
    const results = await Promise.allSettled(
      names.map((name) =>
        track(manufactureTpm(pkiPromise, (preset as Record<K, ManufactureOptions>)[name], tpmsDir)),
      ),
    );
    pki = await pkiPromise;
    results.forEach((r, i) => {
      if (r.status === "fulfilled") named.set(names[i] as K, r.value);
    });
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  });

  afterAll(async () => {
    const results = await Promise.allSettled(tpms.map((t) => t.stop()));
    if (dir && !keepRunFiles()) await rm(dir, { recursive: true, force: true });
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((r) => r.reason),
        `${failed.length} simulated TPM(s) failed to stop`,
      );
    }
  });

  const requirePki = (): TestPki => {
    if (!pki)
      throw new Error("useFleet(): the PKI exists only once beforeAll has run (use it in tests/hooks)");
    return pki;
  };

  return {
    get pki() {
      return requirePki();
    },
    tpm(name) {
      const tpm = named.get(name);
      if (!tpm) throw new Error(`useFleet(): no TPM "${name}" (not in the preset, or beforeAll has not run)`);
      return tpm;
    },
    manufacture(opts) {
      return track(manufactureTpm(requirePki(), opts, join(dir ?? runDir(), "tpms")));
    },
    get tpms() {
      return tpms;
    },
  };
}

/** Assert that nothing left a transient object loaded (swtpm has only 3 slots). */
export async function expectNoTransientHandles(tpm: Pick<SimTpm, "tcti">): Promise<void> {
  expect(await transientHandles(tpm.tcti), `transient handles left loaded in ${tpm.tcti}`).toEqual([]);
}
