// Challenge sessions on a real database: a new registration ends exactly the agent's open
// sessions, on a database made before migration 5 and brought up to date.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { agentChallenges, insertChallenge, type NewChallenge, supersedeChallenges } from "./challenges.js";
import { MIGRATIONS } from "./migrations.js";
import { SqliteDatabase } from "./sqlite-database.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "registrar-challenges-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const challenge = (agentId: string, n: number, kind: NewChallenge["kind"] = "online"): NewChallenge => ({
  session: randomBytes(16).toString("hex"),
  agentId,
  kind,
  tagSha256: new Uint8Array(randomBytes(32)),
  akName: new Uint8Array(randomBytes(34)),
  createdAt: 1_000 + n,
  expiresAt: 1_300 + n,
});

describe("supersedeChallenges (migration 5: an index of the open challenges)", () => {
  it("ends the agent's open sessions only, on a database upgraded from schema 4", async () => {
    const path = join(dir, "v4.db");
    let db = await SqliteDatabase.open(path, { migrations: MIGRATIONS.slice(0, 4) });
    // Agent a: 30 sessions already used, then two open ones (online and offline); agent b: one open.
    await db.write(async (tx) => {
      for (let n = 0; n < 30; n++) {
        await insertChallenge(tx, challenge("a", n));
        await supersedeChallenges(tx, "a", 2_000 + n);
      }
      await insertChallenge(tx, challenge("a", 40));
      await insertChallenge(tx, challenge("a", 41, "offline"));
      await insertChallenge(tx, challenge("b", 42));
    });
    await db.close();

    db = await SqliteDatabase.open(path);
    try {
      const plan = await db.all<{ detail: string }>(
        `EXPLAIN QUERY PLAN UPDATE challenges SET used_at = 1 WHERE agent_id = ? AND used_at IS NULL`,
        ["a"],
      );
      expect(plan.map((r) => r.detail).join("\n")).toContain("challenges_open");

      const ended = await db.write((tx) => supersedeChallenges(tx, "a", 3_000));
      expect(ended).toBe(2);
      const a = await agentChallenges(db, "a");
      expect(a).toHaveLength(32);
      // The 30 used before keep their outcome and time; the two open ones are superseded now.
      expect(a.slice(0, 30).every((c) => c.outcome === "superseded" && c.usedAt! < 3_000)).toBe(true);
      expect(a.slice(30).map((c) => [c.kind, c.outcome, c.usedAt])).toEqual([
        ["online", "superseded", 3_000],
        ["offline", "superseded", 3_000],
      ]);
      const [b] = await agentChallenges(db, "b");
      expect([b?.outcome, b?.usedAt]).toEqual([null, null]);
      expect(await db.write((tx) => supersedeChallenges(tx, "a", 3_001))).toBe(0);
    } finally {
      await db.close();
    }
  });
});
