import { mkdtemp, rm, stat } from "node:fs/promises";
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
