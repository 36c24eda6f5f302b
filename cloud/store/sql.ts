// The registrar's storage interface (DESIGN §6): a small SQL surface that the repositories in
// this folder are written against. sqlite3 (sqlite-database.ts) is the embedded default; a
// PostgreSQL implementation of the same interface can follow for registrars that outgrow one
// machine, so the repositories stick to SQL both dialects share and to `?` placeholders. The
// exception is the few set-based statements of the registration path (`batch`), which read
// their rows with sqlite's json_each/unhex (PostgreSQL: jsonb_array_elements/decode).

/** A value bound to a `?` placeholder or read back from a column. */
export type SqlValue = string | number | Uint8Array | null;

/** What a write statement did. */
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
  /** ROWID of the last row inserted (sqlite), when the statement inserted one. */
  lastId: number;
}

/** One caller's row for a set-based statement (`batch`); bytes travel as hex text. */
export type BatchRow = Readonly<Record<string, string | number | null>>;

/** Statements on one connection: inside a write transaction, or reads outside of one. */
export interface SqlRunner {
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>;
  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * Runs a set-based statement for `row`, together with every other caller that issues the same
   * statement in the same turn of the event loop: one statement, so one trip to the database,
   * for all of them (each node-sqlite3 call is a thread-pool round trip, which costs more CPU
   * than most statements themselves). The statement reads its rows from a JSON array bound to
   * `?1`, as `json_each(?1)`: a row's fields are `value ->> 'name'`, its index among the callers
   * is `value ->> '_i'`. Returned rows that carry that index in a column `_i` go to their own
   * caller; rows without one (UPDATE … RETURNING names the updated table's columns only) go to
   * every caller, each picking its own.
   */
  batch<T extends object>(sql: string, row: BatchRow): Promise<T[]>;
  /**
   * Runs `fn` while no other write of the same transaction is inside its own `exclusive`: for a
   * read-then-write that must not interleave with a concurrent write (the audit log's chain).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** Reads, on the database (committed data) or inside a write transaction (its own changes too). */
export type SqlReader = Pick<SqlRunner, "get" | "all" | "batch">;

/** How a write transaction is run. */
export interface WriteOptions {
  /**
   * Runs alone in its own database transaction instead of sharing a commit with other queued
   * writes: for long transactions such as a bundle import, whose failure must not hold up
   * anyone else's.
   */
  alone?: boolean;
  /**
   * What the write works on (an agent id). Writes with different keys touch different rows, so
   * those queued together run interleaved in one transaction, their `batch` statements shared;
   * writes with the same key, or with none, run one after the other.
   */
  key?: string;
}

/**
 * The database. Reads (`get`, `all`) see only committed data. Every change goes through
 * `write`: the function runs inside one transaction, queued behind the writes before it, and
 * the promise settles once that transaction is durable (or rolled back, when `fn` throws: then
 * nothing it did is kept). `fn` may run more than once (when a write grouped with it fails,
 * the group is rolled back and each runs again alone), so it must have no effect outside the
 * database: do those after `write` settles.
 */
export interface SqlDatabase extends SqlReader {
  write<T>(fn: (tx: SqlRunner) => Promise<T>, options?: WriteOptions): Promise<T>;
  close(): Promise<void>;
  /** The file the database lives in. */
  readonly path: string;
}

/** The database could not be opened, migrated or written, in words an operator can act on. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: "STORE_OPEN" | "STORE_SCHEMA" | "STORE_CLOSED" | "STORE_TX_ENDED" | "STORE_IO",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
