// sqlite3 implementation of SqlDatabase (sql.ts): one file in WAL mode, two connections.
//
// - The writer connection runs every change through one queue (DESIGN §6). node-sqlite3
//   shares a connection between all callers, so two requests' transactions would otherwise
//   interleave on it. Queued writes that arrive together share one transaction and one commit
//   (group commit): durability costs one fsync per batch instead of one per request. When one
//   write of a group fails, the group is rolled back and each write runs again alone, so a
//   failing request never takes the others' changes with it. Writes with distinct keys (one
//   agent each) run interleaved within their group, so their set-based statements (`batch`)
//   are shared: a group of registrations costs about as many database round trips as one.
// - The reader connection serves `get`/`all`. Under WAL it sees only committed transactions,
//   never the writer's transaction in progress.
//
// `synchronous` is FULL by default: a commit is on disk before its promise settles, even
// across a power cut. NORMAL is faster and still crash-safe for the process, but the last
// commits can be lost to a power cut; the registrar reports which one it runs with.
import { existsSync } from "node:fs";
import { chmod } from "node:fs/promises";
import sqlite3 from "sqlite3";
import { MIGRATIONS, type Migration } from "./migrations.js";
import {
  type BatchRow,
  type RunResult,
  type SqlDatabase,
  type SqlRunner,
  type SqlValue,
  StoreError,
  type WriteOptions,
} from "./sql.js";
import { StatementBatcher } from "./statement-batcher.js";

export type Synchronous = "full" | "normal";

export interface OpenOptions {
  /** Default "full". */
  synchronous?: Synchronous;
  /** Open an existing database only; never create the file. */
  mustExist?: boolean;
  /** Schema migrations to apply (tests may pass their own). Default: MIGRATIONS. */
  migrations?: readonly Migration[];
}

/** Most writes that share one commit. */
const MAX_GROUP = 256;
/**
 * Keyed writes (registrations) wait up to this long for others to share their commit, unless
 * GROUP_TARGET are already queued: a group's round trips cost the same for 3 writes as for 30.
 */
const GROUP_LINGER_MS = 2;
const GROUP_TARGET = 32;
const BUSY_TIMEOUT_MS = 10_000;

function bind(params: readonly SqlValue[] | undefined): unknown[] {
  if (params === undefined) return [];
  return params.map((p) =>
    p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p,
  );
}

/**
 * The writer's own settings, for imports: one transaction of up to hundreds of thousands of
 * devices, whose multi-row INSERTs touch pages all over the EK index (random 32-byte keys).
 * - temp_store MEMORY keeps each statement's journal (the pages it changed, kept so that a
 *   failing statement can be undone alone) in memory. By default it goes to a temporary file
 *   past 64 KiB: about one more page write (two write calls) per imported device.
 * - A 16 MiB page cache instead of 2 MiB: with the default, pages of that index fell out of
 *   the cache, were written to the WAL, read back and written again, about once per device.
 *   8, 16 and 32 MiB measured alike; 16 MiB holds the EK index of ~300,000 devices.
 * Measured on 100,000 realistic device rows (insertDevicesBulk alone, interleaved runs): 62–64
 * → 44–55 µs of CPU per device, system time 29 → 14–18 µs. The cache costs up to 16 MiB of
 * memory, and only once the database is larger than that.
 */
const WRITER_PRAGMAS = "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -16384;";

/**
 * The page size of a new database, in bytes (sqlite's default is 4 KiB). A device row carries
 * its signed manifest (~1.3 KB with one EK certificate), and 4 KiB pages held two such rows,
 * leaving a third of each page empty. With 16 KiB pages an import writes a quarter less to the
 * WAL and then to the database file. Measured on the bench's RSA-signed bundles (interleaved
 * runs, synchronous FULL): 100,000 devices, database 224 → 171 MB, final commit 763–847 →
 * 342–463 ms; 300,000 devices, 673 → 511 MB, import 34.6–37.6 → 28.3–31.3 s, sqlite's threads
 * 18.1–20.6 → 11.7–13.8 s of CPU, peak RSS 316–321 → 373–387 MB. Registrations (POST + PUT)
 * measured alike with 4, 8 and 16 KiB pages. A database created with another page size keeps
 * it: WAL mode cannot change it.
 */
const PAGE_SIZE = 16_384;

/** Prepared statements kept per connection (each distinct SQL text, most recently used last). */
const MAX_CACHED_STATEMENTS = 256;

/**
 * Promise wrappers over one node-sqlite3 connection. Every call crosses to libuv's thread pool
 * and back, and a one-shot `Database#get` takes three such trips (prepare, step, finalize), so
 * statements are prepared once and reused: one trip per call. A reused statement is always
 * stepped to its end (`all`, never a half-read `get`), so it holds no read transaction open.
 */
class Connection {
  readonly #statements = new Map<string, Promise<sqlite3.Statement>>();

  constructor(readonly raw: sqlite3.Database) {}

  static open(path: string, mode: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const raw = new sqlite3.Database(path, mode, (err) =>
        err ? reject(err) : resolve(new Connection(raw)),
      );
    });
  }

  #statement(sql: string): Promise<sqlite3.Statement> {
    const cached = this.#statements.get(sql);
    if (cached) {
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const prepared = new Promise<sqlite3.Statement>((resolve, reject) => {
      const statement = this.raw.prepare(sql, (err) => (err ? reject(err) : resolve(statement)));
    });
    prepared.catch(() => this.#statements.delete(sql));
    this.#statements.set(sql, prepared);
    if (this.#statements.size > MAX_CACHED_STATEMENTS) {
      const [oldest, evicted] = this.#statements.entries().next().value as [
        string,
        Promise<sqlite3.Statement>,
      ];
      this.#statements.delete(oldest);
      // Finalize runs after the statement's queued calls.
      evicted.then((st) => st.finalize()).catch(() => undefined);
    }
    return prepared;
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    const st = await this.#statement(sql);
    return new Promise((resolve, reject) => {
      st.run(bind(params), function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastId: this.lastID });
      });
    });
  }

  async get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    const st = await this.#statement(sql);
    return new Promise((resolve, reject) => {
      st.all(bind(params), (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const statements = [...this.#statements.values()];
    this.#statements.clear();
    for (const p of statements) {
      const st = await p.catch(() => undefined);
      if (st) await new Promise<void>((done) => st.finalize(() => done()));
    }
    return new Promise((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}

interface Job {
  fn: (tx: SqlRunner) => Promise<unknown>;
  alone: boolean;
  key: string | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** What the writes of one transaction share: its batched statements and its exclusive section. */
class Transaction {
  readonly batcher: StatementBatcher;
  #exclusiveTail: Promise<unknown> = Promise.resolve();

  constructor(conn: Connection) {
    this.batcher = new StatementBatcher((sql, params) => conn.all(sql, params));
  }

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#exclusiveTail.then(fn);
    this.#exclusiveTail = run.catch(() => undefined);
    return run;
  }
}

/** The statements one queued write may use; refuses them once that write has finished. */
function scopedRunner(conn: Connection, tx: Transaction): { runner: SqlRunner; end: () => void } {
  let open = true;
  const check = () => {
    if (!open)
      throw new StoreError(
        "STORE_TX_ENDED",
        "a statement was issued after its write transaction ended (a missing await in a write function)",
      );
  };
  return {
    runner: {
      run: async (sql, params) => {
        check();
        return conn.run(sql, params);
      },
      get: async (sql, params) => {
        check();
        return conn.get(sql, params);
      },
      all: async (sql, params) => {
        check();
        return conn.all(sql, params);
      },
      batch: async <T extends object>(sql: string, row: BatchRow) => {
        check();
        return tx.batcher.add<T>(sql, row);
      },
      exclusive: async (fn) => {
        check();
        return tx.exclusive(fn);
      },
    },
    end: () => {
      open = false;
    },
  };
}

export class SqliteDatabase implements SqlDatabase {
  readonly #writer: Connection;
  readonly #reader: Connection;
  readonly #readBatcher: StatementBatcher;
  readonly #queue: Job[] = [];
  #draining = false;
  /** Wakes a lingering drain once GROUP_TARGET writes are queued. */
  #groupFilled: (() => void) | undefined;
  #closed = false;
  readonly synchronous: Synchronous;

  private constructor(
    readonly path: string,
    writer: Connection,
    reader: Connection,
    synchronous: Synchronous,
  ) {
    this.#writer = writer;
    this.#reader = reader;
    this.#readBatcher = new StatementBatcher((sql, params) => reader.all(sql, params));
    this.synchronous = synchronous;
  }

  /** Opens (or creates) the database file and brings its schema up to date. */
  static async open(path: string, options: OpenOptions = {}): Promise<SqliteDatabase> {
    const synchronous = options.synchronous ?? "full";
    let writer: Connection;
    try {
      const isNew = !existsSync(path);
      const mode = sqlite3.OPEN_READWRITE | (options.mustExist ? 0 : sqlite3.OPEN_CREATE);
      writer = await Connection.open(path, mode);
      // Token hashes, device evidence and the audit log: readable by the registrar's user only.
      // sqlite gives the -wal and -shm files the database file's mode.
      if (isNew) await chmod(path, 0o600);
    } catch (e) {
      throw new StoreError(
        "STORE_OPEN",
        `cannot open the registrar database ${path}: ${(e as Error).message}` +
          (options.mustExist ? " (create it with 'registrar init' first)" : ""),
        { cause: e },
      );
    }
    try {
      await writer.exec(
        `PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; ` +
          `PRAGMA synchronous = ${synchronous.toUpperCase()}; ${WRITER_PRAGMAS} ` +
          // Before WAL mode and the first table: only a new, empty database takes it.
          `PRAGMA page_size = ${PAGE_SIZE};`,
      );
      const mode = await writer.get<{ journal_mode: string }>("PRAGMA journal_mode = WAL");
      if (mode?.journal_mode !== "wal")
        throw new StoreError(
          "STORE_OPEN",
          `${path} cannot use write-ahead logging (journal mode is ${mode?.journal_mode}): is it on a network file system?`,
        );
      await migrate(writer, path, options.migrations ?? MIGRATIONS);
    } catch (e) {
      await writer.close().catch(() => undefined);
      throw e instanceof StoreError
        ? e
        : new StoreError(
            "STORE_OPEN",
            `cannot prepare the registrar database ${path}: ${(e as Error).message}`,
            {
              cause: e,
            },
          );
    }
    const reader = await Connection.open(path, sqlite3.OPEN_READONLY);
    await reader.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}; PRAGMA query_only = ON;`);
    return new SqliteDatabase(path, writer, reader, synchronous);
  }

  get<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    this.#checkOpen();
    return this.#reader.get<T>(sql, params);
  }

  all<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    this.#checkOpen();
    return this.#reader.all<T>(sql, params);
  }

  batch<T extends object>(sql: string, row: BatchRow): Promise<T[]> {
    this.#checkOpen();
    return this.#readBatcher.add<T>(sql, row);
  }

  write<T>(fn: (tx: SqlRunner) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    this.#checkOpen();
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        fn,
        alone: options.alone ?? false,
        key: options.key,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (this.#queue.length >= GROUP_TARGET) this.#groupFilled?.();
      if (!this.#draining) void this.#drain();
    });
  }

  /** Waits for queued writes, then closes both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#draining || this.#queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    await this.#reader.close();
    await this.#writer.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreError("STORE_CLOSED", `the registrar database ${this.path} is closed`);
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        if (this.#queue[0]!.key !== undefined && this.#queue.length < GROUP_TARGET) await this.#linger();
        const batch = this.#takeBatch();
        if (batch.length === 1) await this.#runAlone(batch[0]!);
        else await this.#runGroup(batch);
      }
    } finally {
      this.#draining = false;
    }
  }

  #linger(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#groupFilled?.(), GROUP_LINGER_MS);
      this.#groupFilled = () => {
        clearTimeout(timer);
        this.#groupFilled = undefined;
        resolve();
      };
    });
  }

  #takeBatch(): Job[] {
    const first = this.#queue[0]!;
    if (first.alone) return [this.#queue.shift()!];
    let n = 0;
    while (n < this.#queue.length && n < MAX_GROUP && !this.#queue[n]!.alone) n++;
    return this.#queue.splice(0, n);
  }

  async #runAlone(job: Job): Promise<void> {
    const { runner, end } = scopedRunner(this.#writer, new Transaction(this.#writer));
    let result: unknown;
    try {
      await this.#writer.exec("BEGIN IMMEDIATE");
    } catch (e) {
      end();
      job.reject(ioError("start a write transaction", e));
      return;
    }
    try {
      result = await job.fn(runner);
    } catch (e) {
      end();
      await this.#writer.exec("ROLLBACK").catch(() => undefined);
      job.reject(e);
      return;
    }
    end();
    try {
      await this.#writer.exec("COMMIT");
    } catch (e) {
      await this.#writer.exec("ROLLBACK").catch(() => undefined);
      job.reject(ioError("commit", e));
      return;
    }
    job.resolve(result);
  }

  /**
   * Runs a group of writes in one transaction, without a savepoint each (every statement is a
   * trip to the thread pool). Keyed writes run interleaved, in stages of distinct keys; the
   * others one at a time. If one of them throws, the whole group is rolled back and each write
   * runs again alone, so the failure is its own and the others commit as if it had not
   * happened.
   */
  async #runGroup(batch: Job[]): Promise<void> {
    const values = new Map<Job, unknown>();
    try {
      await this.#writer.exec("BEGIN IMMEDIATE");
    } catch (e) {
      for (const job of batch) job.reject(ioError("start a write transaction", e));
      return;
    }
    const tx = new Transaction(this.#writer);
    let failed = false;
    for (const stage of stages(batch)) {
      const settled = await Promise.allSettled(
        stage.map(async (job) => {
          const { runner, end } = scopedRunner(this.#writer, tx);
          try {
            values.set(job, await job.fn(runner));
          } finally {
            end();
          }
        }),
      );
      if (settled.some((s) => s.status === "rejected")) {
        failed = true;
        break;
      }
    }
    if (failed) {
      await this.#writer.exec("ROLLBACK").catch(() => undefined);
      for (const job of batch) await this.#runAlone(job);
      return;
    }
    try {
      await this.#writer.exec("COMMIT");
    } catch (e) {
      await this.#writer.exec("ROLLBACK").catch(() => undefined);
      for (const job of batch) job.reject(ioError("commit", e));
      return;
    }
    for (const job of batch) job.resolve(values.get(job));
  }
}

/** Splits a group into stages: runs of keyed writes with distinct keys, and unkeyed writes alone. */
function stages(batch: Job[]): Job[][] {
  const out: Job[][] = [];
  let current: Job[] | undefined;
  const keys = new Set<string>();
  for (const job of batch) {
    if (job.key === undefined) {
      out.push([job]);
      current = undefined;
      continue;
    }
    if (current === undefined || keys.has(job.key)) {
      current = [];
      keys.clear();
      out.push(current);
    }
    current.push(job);
    keys.add(job.key);
  }
  return out;
}

function ioError(what: string, cause: unknown): StoreError {
  return new StoreError("STORE_IO", `the registrar database could not ${what}: ${(cause as Error).message}`, {
    cause,
  });
}

/** Applies every migration newer than the file's `user_version`, each in its own transaction. */
async function migrate(conn: Connection, path: string, migrations: readonly Migration[]): Promise<void> {
  const row = await conn.get<{ user_version: number }>("PRAGMA user_version");
  const current = row?.user_version ?? 0;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest)
    throw new StoreError(
      "STORE_SCHEMA",
      `${path} has schema version ${current}, newer than this registrar knows (${latest}): run a newer registrar, or restore a backup`,
    );
  for (const m of migrations) {
    if (m.version <= current) continue;
    try {
      await conn.exec(`BEGIN IMMEDIATE; ${m.sql}; PRAGMA user_version = ${m.version}; COMMIT;`);
    } catch (e) {
      await conn.exec("ROLLBACK").catch(() => undefined);
      throw new StoreError(
        "STORE_SCHEMA",
        `migration ${m.version} (${m.name}) failed on ${path}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
}
