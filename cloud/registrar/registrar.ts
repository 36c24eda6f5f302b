// The registrar's state shared by the HTTP API and the CLI: the database, the policy, the
// clock, the metrics, and caches of what rarely changes (manufacturer CAs, trusted stations).
// The caches re-read the database when a generation counter moves, so changes made by the CLI
// while a server runs are seen within a second.
import type { CaStore } from "../../shared/ekcert/store.js";
import type { KeyLookup } from "../../shared/formats/cose-verify.js";
import { RegistrarMetrics } from "../ops/metrics.js";
import { caGeneration, loadCaStore } from "../store/cas.js";
import type { SqlDatabase } from "../store/sql.js";
import { listStations } from "../store/stations.js";
import { DEFAULT_CONFIG, type RegistrarConfig } from "./config.js";

const RECHECK_MS = 1000;

export interface RegistrarOptions {
  config?: Partial<RegistrarConfig>;
  /** Milliseconds since the epoch; tests move it to expire challenges. */
  clock?: () => number;
}

export class Registrar {
  readonly config: RegistrarConfig;
  readonly clock: () => number;
  readonly metrics = new RegistrarMetrics();
  #cas: { store: CaStore; generation: number; checkedAt: number } | undefined;

  constructor(
    readonly db: SqlDatabase,
    options: RegistrarOptions = {},
  ) {
    this.config = { ...DEFAULT_CONFIG, ...options.config };
    this.clock = options.clock ?? Date.now;
  }

  /** Now, in integer epoch seconds (what the database stores). */
  nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** The active manufacturer CAs. */
  async caStore(): Promise<CaStore> {
    return (await this.caTrust()).store;
  }

  /**
   * The active manufacturer CAs and the generation they were loaded under (cas.generation).
   * The generation is read before the CAs, so a change between the two makes the pair look
   * older than it is, never newer: a verdict recorded under it is re-checked, not trusted.
   */
  async caTrust(): Promise<{ store: CaStore; generation: number }> {
    const now = Date.now();
    if (this.#cas && now - this.#cas.checkedAt < RECHECK_MS) return this.#cas;
    const generation = await caGeneration(this.db);
    if (this.#cas && this.#cas.generation === generation) {
      this.#cas.checkedAt = now;
      return this.#cas;
    }
    const store = await loadCaStore(this.db);
    this.#cas = { store, generation, checkedAt: now };
    return this.#cas;
  }

  /**
   * The keys of the stations trusted now (not retired), by kid, read fresh: an import must not
   * accept a station retired a moment ago.
   */
  async stationKeys(): Promise<{ lookup: KeyLookup; stationOf: (kid: Uint8Array) => string | undefined }> {
    const stations = (await listStations(this.db)).filter((s) => s.retiredAt === null);
    const byKid = new Map(stations.map((s) => [Buffer.from(s.kid).toString("hex"), s]));
    return {
      lookup: (kid) => byKid.get(Buffer.from(kid).toString("hex"))?.publicKey,
      stationOf: (kid) => byKid.get(Buffer.from(kid).toString("hex"))?.name,
    };
  }
}
