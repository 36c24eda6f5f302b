// Worker threads that decode and check manifest items (check-item.ts) while the main thread
// reads the bundle and writes the database: the checks (an RSA or ECDSA signature, DER and
// CBOR parsing) are most of an import's CPU, and a registrar has more than one core.
//
// Used for large bundles only (starting a worker costs ~0.3 s). When workers cannot start
// (a build where the worker module is not a file of its own, a test runner that cannot load
// TypeScript in a worker), startCheckPool answers undefined and the import checks in line.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CaStore } from "../../shared/ekcert/store.js";
import type { CheckedItem, CheckInput } from "./check-item.js";
import { decodeResults, packBatch } from "./check-wire.js";
import type { CheckRequest, CheckResponse, WorkerSetup } from "./check-worker.js";

/** The worker's first code: tsx's loader when run from source, then check-worker. */
const BOOTSTRAP = `const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.url);
})().catch((e) => { throw e; });`;

/**
 * A worker holds one batch at a time: small heaps keep the registrar's peak RSS low whatever
 * the bundle's size (V8 otherwise lets each worker's heap grow long before collecting).
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 8 };

interface Pending {
  /** The batch as the main thread holds it: the results' EK bytes are views of its manifests. */
  items: readonly CheckInput[];
  resolve: (r: CheckedItem[]) => void;
  reject: (e: Error) => void;
}

class PoolWorker {
  readonly pending = new Map<number, Pending>();
  failed: Error | undefined;
  constructor(readonly worker: Worker) {
    worker.on("message", (m: CheckResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.results === undefined) p.reject(new Error(`import check worker failed: ${m.error}`));
      else {
        try {
          p.resolve(decodeResults(p.items, m.results));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`import check worker exited (code ${code})`)));
  }
}

export class CheckPool {
  #next = 0;
  /** Use startCheckPool. */
  constructor(readonly workers: PoolWorker[]) {}

  get size(): number {
    return this.workers.length;
  }

  /** Checks a batch in the least busy worker. */
  check(station: string, items: CheckInput[]): Promise<CheckedItem[]> {
    const w = this.workers.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    if (w.failed) return Promise.reject(w.failed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      w.pending.set(id, { items, resolve, reject });
      const { batch, transfer } = packBatch(station, items);
      const request: CheckRequest = { id, batch };
      w.worker.postMessage(request, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        w.worker.removeAllListeners("exit");
        await w.worker.terminate();
      }),
    );
  }
}

/**
 * Starts `size` workers (default: the cores available) with a copy of the CA store; undefined
 * when they cannot start within `timeoutMs`.
 */
export async function startCheckPool(
  store: CaStore,
  size = Math.max(1, availableParallelism()),
  timeoutMs = 15_000,
): Promise<CheckPool | undefined> {
  // The worker module beside this one, as it exists on disk. Run from source (.ts), the
  // worker first registers tsx's loader, which a worker thread does not inherit.
  const fromSource = import.meta.url.endsWith(".ts");
  let tsx: string | undefined;
  if (fromSource) {
    try {
      tsx = import.meta.resolve("tsx/esm/api");
    } catch {
      return undefined;
    }
  }
  const setup: WorkerSetup & { url: string; tsx: string | undefined } = {
    cas: store.certificates.map((c) => ({ der: c.der, source: store.sourceOf(c) })),
    origin: store.origin,
    url: new URL(fromSource ? "./check-worker.ts" : "./check-worker.js", import.meta.url).href,
    tsx,
  };
  const started = await Promise.all(
    Array.from(
      { length: size },
      () =>
        new Promise<Worker | undefined>((resolve) => {
          let worker: Worker;
          try {
            worker = new Worker(BOOTSTRAP, { eval: true, workerData: setup, resourceLimits: WORKER_LIMITS });
          } catch {
            resolve(undefined);
            return;
          }
          const timer = setTimeout(() => {
            void worker.terminate();
            resolve(undefined);
          }, timeoutMs);
          worker.once("message", () => {
            clearTimeout(timer);
            resolve(worker);
          });
          worker.once("error", () => {
            clearTimeout(timer);
            void worker.terminate();
            resolve(undefined);
          });
        }),
    ),
  );
  const ok = started.filter((w): w is Worker => w !== undefined);
  if (ok.length < started.length) {
    await Promise.all(ok.map((w) => w.terminate()));
    return undefined;
  }
  return new CheckPool(ok.map((w) => new PoolWorker(w)));
}
