// Credential activation challenges (DESIGN §5, §6), online and offline. Only the SHA-256 of
// the expected auth_tag is stored, never the challenge itself. A session is used at most once:
// `used_at` is set by whatever ends it (activation, a wrong tag, expiry, a newer registration).
import type { SqlReader, SqlRunner } from "./sql.js";

export type ChallengeKind = "online" | "offline";

/** How a session ended. */
export type ChallengeOutcome = "activated" | "wrong-tag" | "expired" | "superseded" | "refused";

export interface Challenge {
  session: string;
  agentId: string;
  kind: ChallengeKind;
  /** SHA-256 of the expected auth_tag's lowercase hex text. */
  tagSha256: Uint8Array;
  akName: Uint8Array;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
  outcome: ChallengeOutcome | null;
}

interface ChallengeRow {
  session: string;
  agent_id: string;
  kind: ChallengeKind;
  tag_sha256: Uint8Array;
  ak_name: Uint8Array;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  outcome: ChallengeOutcome | null;
}

function toChallenge(r: ChallengeRow): Challenge {
  return {
    session: r.session,
    agentId: r.agent_id,
    kind: r.kind,
    tagSha256: new Uint8Array(r.tag_sha256),
    akName: new Uint8Array(r.ak_name),
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    usedAt: r.used_at,
    outcome: r.outcome,
  };
}

export type NewChallenge = Omit<Challenge, "usedAt" | "outcome">;

export async function insertChallenge(tx: SqlRunner, c: NewChallenge): Promise<void> {
  await tx.run(
    `INSERT INTO challenges (session, agent_id, kind, tag_sha256, ak_name, created_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [c.session, c.agentId, c.kind, c.tagSha256, c.akName, c.createdAt, c.expiresAt],
  );
}

export async function getChallenge(db: SqlReader, session: string): Promise<Challenge | undefined> {
  const r = await db.get<ChallengeRow>("SELECT * FROM challenges WHERE session = ?", [session]);
  return r && toChallenge(r);
}

/** The agent's newest challenge of this kind, used or not. */
export async function latestChallenge(
  db: SqlReader,
  agentId: string,
  kind: ChallengeKind,
): Promise<Challenge | undefined> {
  const r = await db.get<ChallengeRow>(
    "SELECT * FROM challenges WHERE agent_id = ? AND kind = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
    [agentId, kind],
  );
  return r && toChallenge(r);
}

/** The agent's challenges, oldest first (for tests and the admin API). */
export async function agentChallenges(db: SqlReader, agentId: string): Promise<Challenge[]> {
  const rows = await db.all<ChallengeRow>(
    "SELECT * FROM challenges WHERE agent_id = ? ORDER BY created_at, rowid",
    [agentId],
  );
  return rows.map(toChallenge);
}

/**
 * Ends a session that is still open. Returns false when it was already used: the caller lost
 * a race with another request for the same session.
 */
export async function endChallenge(
  tx: SqlRunner,
  session: string,
  outcome: ChallengeOutcome,
  nowSeconds: number,
): Promise<boolean> {
  const r = await tx.run(
    "UPDATE challenges SET used_at = ?, outcome = ? WHERE session = ? AND used_at IS NULL",
    [nowSeconds, outcome, session],
  );
  return r.changes > 0;
}

/** Ends every open session of the agent (a new registration supersedes them). */
export async function supersedeChallenges(
  tx: SqlRunner,
  agentId: string,
  nowSeconds: number,
): Promise<number> {
  const r = await tx.run(
    "UPDATE challenges SET used_at = ?, outcome = 'superseded' WHERE agent_id = ? AND used_at IS NULL",
    [nowSeconds, agentId],
  );
  return r.changes;
}

/** Removes every challenge of the agent (when the agent is deleted). */
export async function deleteAgentChallenges(tx: SqlRunner, agentId: string): Promise<void> {
  await tx.run("DELETE FROM challenges WHERE agent_id = ?", [agentId]);
}
