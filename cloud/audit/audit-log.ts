// The registrar's append-only audit log (DESIGN §6). Each entry's hash is the SHA-256 of the
// deterministic CBOR array [seq, at, actor, action, subject, detail, prev_hash], where
// prev_hash is the previous entry's hash (32 zero bytes for the first). Changing, removing or
// reordering any entry breaks every hash after it; `verifyAuditLog` (registrar audit verify)
// finds the first break. SQL triggers refuse UPDATE and DELETE on the table. A chain cannot
// show that its newest entries were cut off: keep the last hash elsewhere (the verify report
// prints it) to detect that.
import { createHash } from "node:crypto";
import { encodeCbor } from "../../shared/formats/cbor.js";
import type { SqlDatabase, SqlRunner } from "../store/sql.js";

export const GENESIS_HASH = new Uint8Array(32);

/** What happened, by whom. `detail` is a JSON-able object, stored as JSON text. */
export interface AuditEntry {
  /** "cli", "token:<id>", "agent:<ip>", "mtls:<subject>"… */
  actor: string;
  /** e.g. "bundle.import", "device.revoke", "agent.activate.failed". */
  action: string;
  /** What it concerns: an agent id, a device serial, a station name. */
  subject?: string | null;
  detail?: Record<string, unknown>;
}

interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  detail: string;
  prev_hash: Uint8Array;
  hash: Uint8Array;
}

function entryHash(r: Omit<AuditRow, "hash">): Uint8Array {
  const body = encodeCbor([r.seq, r.at, r.actor, r.action, r.subject, r.detail, new Uint8Array(r.prev_hash)]);
  return new Uint8Array(createHash("sha256").update(body).digest());
}

/** Appends one entry inside the caller's write transaction (so it commits with the change). */
export function appendAudit(tx: SqlRunner, entry: AuditEntry, now = Date.now()): Promise<void> {
  // Exclusive: two writes of one group appending at once would both chain to the same entry.
  return tx.exclusive(() => appendAfterLast(tx, entry, now));
}

async function appendAfterLast(tx: SqlRunner, entry: AuditEntry, now: number): Promise<void> {
  const last = await tx.get<{ seq: number; hash: Uint8Array }>(
    "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
  );
  const row = {
    seq: (last?.seq ?? 0) + 1,
    at: Math.floor(now / 1000),
    actor: entry.actor,
    action: entry.action,
    subject: entry.subject ?? null,
    detail: JSON.stringify(entry.detail ?? {}),
    prev_hash: last ? new Uint8Array(last.hash) : GENESIS_HASH,
  };
  await tx.run(
    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [row.seq, row.at, row.actor, row.action, row.subject, row.detail, row.prev_hash, entryHash(row)],
  );
}

/** An audit entry as listed: its detail parsed, its hash in hex. */
export interface ListedAuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  subject: string | null;
  detail: Record<string, unknown>;
  hash: string;
}

/** The newest entries first (`limit` of them), before entry `before` when given. */
export async function listAudit(
  db: SqlDatabase,
  options: { limit: number; before?: number },
): Promise<ListedAuditEntry[]> {
  const rows = await db.all<AuditRow>(
    `SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log
      ${options.before === undefined ? "" : "WHERE seq < ?"} ORDER BY seq DESC LIMIT ?`,
    options.before === undefined ? [options.limit] : [options.before, options.limit],
  );
  return rows.map((r) => ({
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
    hash: Buffer.from(r.hash).toString("hex"),
  }));
}

export type AuditVerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; seq: number; reason: string };

const PAGE = 10_000;

/** Walks the whole log in order and checks every link and hash. */
export async function verifyAuditLog(db: SqlDatabase): Promise<AuditVerifyResult> {
  let prev: Uint8Array = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  for (;;) {
    const rows = await db.all<AuditRow>(
      "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?",
      [expectedSeq, PAGE],
    );
    for (const r of rows) {
      if (r.seq !== expectedSeq)
        return {
          ok: false,
          entries,
          seq: expectedSeq,
          reason: `entry ${expectedSeq} is missing (next is ${r.seq})`,
        };
      if (!Buffer.from(r.prev_hash).equals(prev))
        return {
          ok: false,
          entries,
          seq: r.seq,
          reason: `entry ${r.seq} does not link to entry ${r.seq - 1}: an entry was changed, removed or reordered`,
        };
      if (!Buffer.from(entryHash(r)).equals(r.hash))
        return { ok: false, entries, seq: r.seq, reason: `entry ${r.seq} was changed after it was written` };
      prev = new Uint8Array(r.hash);
      expectedSeq++;
      entries++;
    }
    if (rows.length < PAGE) break;
  }
  return { ok: true, entries, head: Buffer.from(prev).toString("hex") };
}
