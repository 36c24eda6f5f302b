import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sqlite3 from "sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendAudit, verifyAuditLog } from "../audit/audit-log.js";
import { MIGRATIONS } from "./migrations.js";
import { StoreError } from "./sql.js";
import { SqliteDatabase } from "./sqlite-database.js";

let dir: string;
let db: SqliteDatabase;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "registrar-db-"));
  db = await SqliteDatabase.open(join(dir, "r.db"));
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

/** A second, independent connection, as another process would have. */
function rawQuery<T>(path: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const c = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err);
      c.all(sql, (e, rows) => c.close(() => (e ? reject(e) : resolve(rows as T[]))));
    });
  });
}

function rawExec(path: string, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = new sqlite3.Database(path, sqlite3.OPEN_READWRITE, (err) => {
      if (err) return reject(err);
      c.exec(sql, (e) => c.close(() => (e ? reject(e) : resolve())));
    });
  });
}

describe("SqliteDatabase", () => {
  it("creates the schema, in WAL mode, at the latest version", async () => {
    const [v] = await rawQuery<{ user_version: number }>(db.path, "PRAGMA user_version");
    expect(v?.user_version).toBe(MIGRATIONS.at(-1)!.version);
    const [m] = await rawQuery<{ journal_mode: string }>(db.path, "PRAGMA journal_mode");
    expect(m?.journal_mode).toBe("wal");
    expect(db.synchronous).toBe("full");
    expect((await stat(db.path)).mode & 0o777).toBe(0o600);
    expect((await stat(`${db.path}-wal`)).mode & 0o777).toBe(0o600);
  });

  it("creates a database with 16 KiB pages, and keeps the page size of one made before", async () => {
    const [p] = await rawQuery<{ page_size: number }>(db.path, "PRAGMA page_size");
    expect(p?.page_size).toBe(16_384);
    // A database already in WAL mode with sqlite's default 4 KiB pages (as earlier versions made).
    const old = join(dir, "old.db");
    await writeFile(old, ""); // an empty file is an empty database
    await rawExec(old, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)");
    const reopened = await SqliteDatabase.open(old);
    try {
      await reopened.write((tx) => tx.run("INSERT INTO t (x) VALUES (1)"));
      expect(await reopened.get<{ n: number }>("SELECT COUNT(*) AS n FROM t")).toEqual({ n: 1 });
    } finally {
      await reopened.close();
    }
    const [q] = await rawQuery<{ page_size: number }>(old, "PRAGMA page_size");
    expect(q?.page_size).toBe(4096);
  });

  it("gives the writer an in-memory statement journal and a 16 MiB page cache (imports)", async () => {
    const settings = await db.write(async (tx) => ({
      temp: await tx.get<{ temp_store: number }>("PRAGMA temp_store"),
      cache: await tx.get<{ cache_size: number }>("PRAGMA cache_size"),
    }));
    expect(settings.temp?.temp_store).toBe(2); // MEMORY
    expect(settings.cache?.cache_size).toBe(-16384); // KiB
  });

  it("commits a write and keeps it across a reopen; blobs come back as bytes", async () => {
    await db.write((tx) => tx.run("INSERT INTO settings (key, value) VALUES (?, ?)", ["k", "v"]));
    await db.write((tx) =>
      tx.run("INSERT INTO cas (sha256, der, subject, added_at) VALUES (?, ?, ?, ?)", [
        Uint8Array.of(1, 2, 3),
        Uint8Array.of(0x30, 0),
        "CN=x",
        1,
      ]),
    );
    await db.close();
    db = await SqliteDatabase.open(join(dir, "r.db"), { mustExist: true });
    expect(await db.get<{ value: string }>("SELECT value FROM settings WHERE key = ?", ["k"])).toEqual({
      value: "v",
    });
    const row = await db.get<{ sha256: Uint8Array }>("SELECT sha256 FROM cas");
    expect(Buffer.from(row!.sha256).toString("hex")).toBe("010203");
  });

  it("rolls back everything a failing write did", async () => {
    await expect(
      db.write(async (tx) => {
        await tx.run("INSERT INTO settings (key, value) VALUES ('a', '1')");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await db.all("SELECT * FROM settings")).toEqual([]);
  });

  it("groups concurrent writes without letting one failure undo the others", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        db.write(async (tx) => {
          await tx.run("INSERT INTO settings (key, value) VALUES (?, ?)", [`k${i}`, String(i)]);
          if (i % 10 === 3) throw new Error(`job ${i} fails`);
          return i;
        }),
      ),
    );
    const failed = results.flatMap((r, i) => (r.status === "rejected" ? [i] : []));
    expect(failed).toEqual([3, 13, 23, 33, 43]);
    const keys = (await db.all<{ key: string }>("SELECT key FROM settings")).map((r) => r.key).sort();
    expect(keys).toHaveLength(45);
    expect(keys).not.toContain("k3");
  });

  it("runs keyed writes interleaved, sharing each batch statement, and still isolates a failure", async () => {
    const insert = "INSERT INTO settings (key, value) SELECT value ->> 'k', value ->> 'v' FROM json_each(?1)";
    const read = `SELECT j.value ->> '_i' AS _i, s.value, json_array_length(?1) AS callers
                    FROM json_each(?1) j JOIN settings s ON s.key = j.value ->> 'k'`;
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        db.write(
          async (tx) => {
            await tx.batch(insert, { k: `k${i}`, v: `v${i}` });
            const [own] = await tx.batch<{ value: string; callers: number }>(read, { k: `k${i}` });
            if (i === 7) throw new Error("job 7 fails");
            return own;
          },
          { key: `agent-${i}` },
        ),
      ),
    );
    expect(results[7]).toMatchObject({ status: "rejected", reason: new Error("job 7 fails") });
    const values = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    expect(values.map((v) => v?.value)).toEqual(
      Array.from({ length: 40 }, (_, i) => `v${i}`).filter((v) => v !== "v7"),
    );
    // Before the failure rolled the group back, its writes shared their statements.
    const rows = await db.all<{ key: string }>("SELECT key FROM settings WHERE key LIKE 'k%'");
    expect(rows).toHaveLength(39);
    const shared = await db.write(
      async (tx) => (await tx.batch<{ callers: number }>("SELECT json_array_length(?1) AS callers", {}))[0]!,
      { key: "x" },
    );
    expect(shared.callers).toBe(1);
  });

  it("shares one statement among the keyed writes of a group", async () => {
    const counts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.write(
          async (tx) =>
            (await tx.batch<{ callers: number }>("SELECT json_array_length(?1) AS callers", { i }))[0]!
              .callers,
          { key: `agent-${i}` },
        ),
      ),
    );
    expect(Math.max(...counts)).toBeGreaterThan(1);
  });

  it("runs writes with the same key one after the other", async () => {
    await db.write((tx) => tx.run("INSERT INTO settings (key, value) VALUES ('n', '0')"));
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.write(
          async (tx) => {
            const [r] = await tx.batch<{ value: string }>(
              "SELECT j.value ->> '_i' AS _i, s.value FROM json_each(?1) j JOIN settings s ON s.key = j.value ->> 'k'",
              { k: "n" },
            );
            await tx.run("UPDATE settings SET value = ? WHERE key = 'n'", [String(Number(r!.value) + 1)]);
          },
          { key: "same-agent" },
        ),
      ),
    );
    expect(await db.get("SELECT value FROM settings WHERE key = 'n'")).toEqual({ value: "20" });
  });

  it("shares reads issued together through batch, each caller getting its own rows", async () => {
    await db.write((tx) => tx.run("INSERT INTO settings (key, value) VALUES ('a', '1'), ('b', '2')"));
    const sql = `SELECT j.value ->> '_i' AS _i, s.value, json_array_length(?1) AS callers
                   FROM json_each(?1) j JOIN settings s ON s.key = j.value ->> 'k'`;
    const [a, b, none] = await Promise.all(
      ["a", "b", "zzz"].map((k) => db.batch<{ value: string; callers: number }>(sql, { k })),
    );
    expect([a, b, none].map((rows) => rows?.map((r) => r.value))).toEqual([["1"], ["2"], []]);
    expect(a![0]!.callers).toBe(3);
  });

  it("does not show a write in progress to readers", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let inserted!: () => void;
    const didInsert = new Promise<void>((r) => {
      inserted = r;
    });
    const writing = db.write(
      async (tx) => {
        await tx.run("INSERT INTO settings (key, value) VALUES ('x', '1')");
        inserted();
        await gate;
      },
      { alone: true },
    );
    await didInsert;
    expect(await db.all("SELECT * FROM settings")).toEqual([]);
    release();
    await writing;
    expect(await db.all("SELECT key FROM settings")).toEqual([{ key: "x" }]);
  });

  it("reuses prepared statements without reading from an old snapshot", async () => {
    // The same SQL text each time, so the same cached statement on the reader connection.
    for (let i = 0; i < 5; i++) {
      await db.write((tx) => tx.run("INSERT INTO settings (key, value) VALUES (?, ?)", [`s${i}`, String(i)]));
      const rows = await db.all<{ key: string }>("SELECT key FROM settings ORDER BY key");
      expect(rows.map((r) => r.key)).toEqual(Array.from({ length: i + 1 }, (_, j) => `s${j}`));
      expect(await db.get<{ n: number }>("SELECT count(*) AS n FROM settings")).toEqual({ n: i + 1 });
    }
    // A statement that does not prepare is not cached as if it did.
    await expect(db.get("SELECT nope FROM settings")).rejects.toThrow(/no such column/);
    await expect(db.get("SELECT nope FROM settings")).rejects.toThrow(/no such column/);
  });

  it("refuses statements issued after their write ended", async () => {
    let leaked: Parameters<Parameters<typeof db.write>[0]>[0] | undefined;
    await db.write(async (tx) => {
      leaked = tx;
    });
    await expect(leaked!.run("INSERT INTO settings (key, value) VALUES ('late', '1')")).rejects.toMatchObject(
      {
        code: "STORE_TX_ENDED",
      },
    );
    expect(await db.all("SELECT * FROM settings")).toEqual([]);
  });

  it("refuses a database from a newer registrar, and a missing file with mustExist", async () => {
    await db.close();
    await rawExec(join(dir, "r.db"), "PRAGMA user_version = 99");
    await expect(SqliteDatabase.open(join(dir, "r.db"))).rejects.toMatchObject({
      code: "STORE_SCHEMA",
      message: expect.stringMatching(/schema version 99, newer than this registrar/),
    });
    await expect(SqliteDatabase.open(join(dir, "none.db"), { mustExist: true })).rejects.toBeInstanceOf(
      StoreError,
    );
    db = await SqliteDatabase.open(join(dir, "again.db"));
  });

  it("refuses writes once closed", async () => {
    await db.close();
    expect(() => db.write(async () => undefined)).toThrow(/closed/);
    db = await SqliteDatabase.open(join(dir, "again.db"));
  });
});

describe("audit log", () => {
  it("chains entries, and finds a changed one", async () => {
    for (const action of ["a.one", "a.two", "a.three"])
      await db.write((tx) => appendAudit(tx, { actor: "cli", action, subject: "s", detail: { n: action } }));
    const ok = await verifyAuditLog(db);
    expect(ok).toMatchObject({ ok: true, entries: 3 });
    await expect(db.write((tx) => tx.run("UPDATE audit_log SET actor = 'x' WHERE seq = 2"))).rejects.toThrow(
      /append-only/,
    );
    await expect(db.write((tx) => tx.run("DELETE FROM audit_log WHERE seq = 3"))).rejects.toThrow(
      /append-only/,
    );
    // Someone with the file drops the trigger and edits an entry.
    await rawExec(
      db.path,
      "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET detail = '{}' WHERE seq = 2",
    );
    expect(await verifyAuditLog(db)).toMatchObject({
      ok: false,
      seq: 2,
      reason: expect.stringMatching(/changed/),
    });
  });

  it("keeps one chain when interleaved writes of a group append at once", async () => {
    let runs = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        db.write(
          (tx) => {
            runs++;
            return appendAudit(tx, { actor: "agent", action: "agent.register.unlisted", subject: `a${i}` });
          },
          { key: `a${i}` },
        ),
      ),
    );
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true, entries: 30 });
    // Each ran once: no two appends chained to the same entry, which would have failed the group.
    expect(runs).toBe(30);
  });

  it("finds a removed entry", async () => {
    for (const action of ["a", "b", "c"]) await db.write((tx) => appendAudit(tx, { actor: "cli", action }));
    await rawExec(db.path, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2");
    expect(await verifyAuditLog(db)).toMatchObject({
      ok: false,
      seq: 2,
      reason: expect.stringMatching(/missing/),
    });
  });
});
