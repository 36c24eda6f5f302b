// Set-based statements shared by the callers of one event-loop turn (SqlRunner.batch).
//
// Each node-sqlite3 call is a round trip through libuv's thread pool, and on a small VM that
// trip (a futex wake, an eventfd write, an epoll wake-up) costs tens of µs of CPU, more than a
// short indexed statement itself. Registrations that arrive together therefore hand their rows
// to one statement over a JSON array instead of issuing one statement each: the calls made in
// one turn are collected, and a setImmediate runs each distinct statement once for all of them.
// By then every caller that was resumed in this turn (its previous results arrived in one
// callback) has issued its next call, so they share it.
import type { BatchRow, SqlValue } from "./sql.js";

type AllFn = (sql: string, params: readonly SqlValue[]) => Promise<object[]>;

interface Waiting {
  row: BatchRow;
  resolve: (rows: object[]) => void;
  reject: (error: unknown) => void;
}

export class StatementBatcher {
  readonly #all: AllFn;
  readonly #pending = new Map<string, Waiting[]>();
  #scheduled = false;

  constructor(all: AllFn) {
    this.#all = all;
  }

  add<T extends object>(sql: string, row: BatchRow): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      let waiting = this.#pending.get(sql);
      if (waiting === undefined) {
        waiting = [];
        this.#pending.set(sql, waiting);
      }
      waiting.push({ row, resolve: resolve as (rows: object[]) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = [...this.#pending];
    this.#pending.clear();
    // Issued in the order first asked for; node-sqlite3 runs a connection's calls in order.
    for (const [sql, waiting] of batches) {
      const rows = JSON.stringify(waiting.map((w, i) => ({ ...w.row, _i: i })));
      this.#all(sql, [rows]).then(
        (result) => distribute(result, waiting),
        (error: unknown) => {
          for (const w of waiting) w.reject(error);
        },
      );
    }
  }
}

/** Rows with an `_i` column go to that caller; rows without one go to every caller. */
function distribute(result: object[], waiting: Waiting[]): void {
  if (result.length === 0 || !("_i" in result[0]!)) {
    for (const w of waiting) w.resolve(result);
    return;
  }
  const own: object[][] = waiting.map(() => []);
  for (const row of result) own[Number((row as { _i: unknown })._i)]?.push(row);
  for (const [i, w] of waiting.entries()) w.resolve(own[i]!);
}

/** Hex text of bytes for a BatchRow field (the statement reads it back with unhex()). */
export const hexField = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
