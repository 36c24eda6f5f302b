// Credential activation challenges (DESIGN §5, §6), online and offline. Only the SHA-256 of
// the expected auth_tag is stored, never the challenge itself. A session is used at most once:
// `used_at` is set by whatever ends it (activation, a wrong tag, expiry, a newer registration).
//
// The statements of the registration path are set-based (SqlRunner.batch): the registrations
// of one group commit share them.
import type { SqlReader, SqlRunner } from "./sql.js";
import { hexField } from "./statement-batcher.js";

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

export interface ChallengeRow {
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

export function toChallenge(r: ChallengeRow): Challenge {
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
  await tx.batch(
    `INSERT INTO challenges (session, agent_id, kind, tag_sha256, ak_name, created_at, expires_at)
     SELECT r ->> 'session', r ->> 'agent', r ->> 'kind', unhex(r ->> 'tag'), unhex(r ->> 'akName'), r ->> 'created',
       r ->> 'expires'
     FROM (SELECT value AS r FROM json_each(?1))`,
    {
      session: c.session,
      agent: c.agentId,
      kind: c.kind,
      tag: hexField(c.tagSha256),
      akName: hexField(c.akName),
      created: c.createdAt,
      expires: c.expiresAt,
    },
  );
}

export async function getChallenge(db: SqlReader, session: string): Promise<Challenge | undefined> {
  const r = await db.get<ChallengeRow>("SELECT * FROM challenges WHERE session = ?", [session]);
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
  const ended = await tx.batch<{ session: string }>(
    `UPDATE challenges SET used_at = j.value ->> 'now', outcome = j.value ->> 'outcome' FROM json_each(?1) j
      WHERE challenges.session = j.value ->> 'session' AND used_at IS NULL RETURNING session`,
    { session, outcome, now: nowSeconds },
  );
  return ended.some((r) => r.session === session);
}

/** Ends every open session of the agent (a new registration supersedes them). */
export async function supersedeChallenges(
  tx: SqlRunner,
  agentId: string,
  nowSeconds: number,
): Promise<number> {
  const ended = await tx.batch<{ agent_id: string }>(
    `UPDATE challenges SET used_at = j.value ->> 'now', outcome = 'superseded' FROM json_each(?1) j
      WHERE challenges.agent_id = j.value ->> 'agent' AND used_at IS NULL RETURNING agent_id`,
    { agent: agentId, now: nowSeconds },
  );
  return ended.filter((r) => r.agent_id === agentId).length;
}

/** Removes every challenge of the agent (when the agent is deleted). */
export async function deleteAgentChallenges(tx: SqlRunner, agentId: string): Promise<void> {
  await tx.run("DELETE FROM challenges WHERE agent_id = ?", [agentId]);
}
