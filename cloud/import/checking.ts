// How an import checks its devices: in worker threads for a large bundle (check-pool.ts),
// in line otherwise (or when workers cannot start).
import type { CaStore } from "../../shared/ekcert/store.js";
import { type CheckedItem, type CheckInput, checkItem } from "./check-item.js";
import { startCheckPool } from "./check-pool.js";
import { DeviceChecker } from "./device-checks.js";

/** Bundles with at least this many devices are checked in worker threads. */
export const WORKERS_FROM_DEVICES = 5_000;

export interface Checking {
  check: (items: CheckInput[]) => Promise<CheckedItem[]>;
  /** Batches to check ahead of the one being written. */
  ahead: number;
  /** "workers (2)" or "in line", for logs. */
  mode: string;
  close: () => Promise<void>;
}

export async function startChecking(store: CaStore, station: string, devices: number): Promise<Checking> {
  const pool = devices >= WORKERS_FROM_DEVICES ? await startCheckPool(store) : undefined;
  if (pool)
    return {
      check: (items) => pool.check(station, items),
      ahead: pool.size + 1,
      mode: `workers (${pool.size})`,
      close: () => pool.close(),
    };
  const checker = new DeviceChecker(store);
  return {
    check: async (items) => items.map((item) => checkItem(checker, station, item)),
    ahead: 0,
    mode: "in line",
    close: async () => undefined,
  };
}
