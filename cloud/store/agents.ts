// Agents that registered through the keylime-compatible API (DESIGN §6), keylime's registrar
// table: one row per agent_id, with the EK and AK it registered with. `active` is set once the
// agent has answered its credential challenge, and reset by a re-registration.
import { type Challenge, type ChallengeKind, type ChallengeRow, toChallenge } from "./challenges.js";
import type { SqlReader, SqlRunner } from "./sql.js";
import { hexField } from "./statement-batcher.js";

export interface Agent {
  agentId: string;
  /** Null when admitted without a pre-registration (requirePreRegistration off). */
  deviceId: number | null;
  /** Lowercase hex (DESIGN §4). */
  ekPubSha256: string;
  /** TPM2B_PUBLIC of the EK. */
  ekTpm: Uint8Array;
  /** DER EK certificate, when there was one. */
  ekcert: Uint8Array | null;
  /** TPM2B_PUBLIC of the AK. */
  aikTpm: Uint8Array;
  /** TPM Name of the AK (nameAlg ‖ digest). */
  akName: Uint8Array;
  mtlsCert: string | null;
  ip: string | null;
  port: number | null;
  active: boolean;
  regcount: number;
  registeredAt: number;
  activatedAt: number | null;
}

export type AgentRegistration = Omit<Agent, "active" | "regcount" | "registeredAt" | "activatedAt">;

interface AgentRow {
  agent_id: string;
  device_id: number | null;
  ek_pub_sha256: Uint8Array;
  ek_tpm: Uint8Array;
  ekcert: Uint8Array | null;
  aik_tpm: Uint8Array;
  ak_name: Uint8Array;
  mtls_cert: string | null;
  ip: string | null;
  port: number | null;
  active: number;
  regcount: number;
  registered_at: number;
  activated_at: number | null;
}

const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b);

function toAgent(r: AgentRow): Agent {
  return {
    agentId: r.agent_id,
    deviceId: r.device_id,
    ekPubSha256: Buffer.from(r.ek_pub_sha256).toString("hex"),
    ekTpm: bytes(r.ek_tpm),
    ekcert: r.ekcert === null ? null : bytes(r.ekcert),
    aikTpm: bytes(r.aik_tpm),
    akName: bytes(r.ak_name),
    mtlsCert: r.mtls_cert,
    ip: r.ip,
    port: r.port,
    active: r.active !== 0,
    regcount: r.regcount,
    registeredAt: r.registered_at,
    activatedAt: r.activated_at,
  };
}

// The statements of the registration path are set-based (SqlRunner.batch): the registrations
// of one group commit share them.

export async function getAgent(db: SqlReader, agentId: string): Promise<Agent | undefined> {
  const [r] = await db.batch<AgentRow>(
    "SELECT j.value ->> '_i' AS _i, a.* FROM json_each(?1) j JOIN agents a ON a.agent_id = j.value ->> 'id'",
    { id: agentId },
  );
  return r && toAgent(r);
}

/** What the registration path needs of a registered agent: who it is, not its evidence. */
export type AgentKeys = Pick<Agent, "agentId" | "deviceId" | "ekPubSha256" | "akName" | "regcount">;

const AGENT_KEYS = "a.agent_id, a.device_id, a.ek_pub_sha256, a.ak_name, a.regcount";

interface AgentKeysRow {
  agent_id: string;
  device_id: number | null;
  ek_pub_sha256: Uint8Array;
  ak_name: Uint8Array;
  regcount: number;
}

const toAgentKeys = (r: AgentKeysRow): AgentKeys => ({
  agentId: r.agent_id,
  deviceId: r.device_id,
  ekPubSha256: Buffer.from(r.ek_pub_sha256).toString("hex"),
  akName: bytes(r.ak_name),
  regcount: r.regcount,
});

/** The agent's identity (no public areas or certificate: a registration only compares keys). */
export async function agentKeys(db: SqlReader, agentId: string): Promise<AgentKeys | undefined> {
  const [r] = await db.batch<AgentKeysRow>(
    `SELECT j.value ->> '_i' AS _i, ${AGENT_KEYS} FROM json_each(?1) j JOIN agents a ON a.agent_id = j.value ->> 'id'`,
    { id: agentId },
  );
  return r && toAgentKeys(r);
}

/** A registered agent's identity and the evidence its last registration recorded. */
export type RegisteredAgent = AgentKeys & Pick<Agent, "ekTpm" | "ekcert" | "aikTpm">;

/**
 * The agent's identity and recorded evidence, for a registration to compare with what it was
 * sent (saveRegistration or renewRegistration). The byte fields are the row's own buffers.
 */
export async function registeredAgent(db: SqlReader, agentId: string): Promise<RegisteredAgent | undefined> {
  const [r] = await db.batch<AgentKeysRow & Pick<AgentRow, "ek_tpm" | "ekcert" | "aik_tpm">>(
    `SELECT j.value ->> '_i' AS _i, ${AGENT_KEYS}, a.ek_tpm, a.ekcert, a.aik_tpm
       FROM json_each(?1) j JOIN agents a ON a.agent_id = j.value ->> 'id'`,
    { id: agentId },
  );
  return r && { ...toAgentKeys(r), ekTpm: r.ek_tpm, ekcert: r.ekcert, aikTpm: r.aik_tpm };
}

/**
 * The agent's identity with its newest challenge of `kind` (undefined when it has none): the
 * one query an online answer (keylime PUT) needs before it is checked.
 */
export async function agentWithLatestChallenge(
  db: SqlReader,
  agentId: string,
  kind: ChallengeKind,
): Promise<{ agent: AgentKeys; challenge: Challenge | undefined } | undefined> {
  const [r] = await db.batch<
    AgentKeysRow & { [K in keyof ChallengeRow as `c_${K}`]: ChallengeRow[K] | null }
  >(
    `SELECT j.value ->> '_i' AS _i, ${AGENT_KEYS}, c.session AS c_session, c.agent_id AS c_agent_id, c.kind AS c_kind,
            c.tag_sha256 AS c_tag_sha256, c.ak_name AS c_ak_name, c.created_at AS c_created_at,
            c.expires_at AS c_expires_at, c.used_at AS c_used_at, c.outcome AS c_outcome
       FROM json_each(?1) j JOIN agents a ON a.agent_id = j.value ->> 'id'
       LEFT JOIN challenges c ON c.rowid = (
         SELECT rowid FROM challenges WHERE agent_id = a.agent_id AND kind = j.value ->> 'kind'
          ORDER BY created_at DESC, rowid DESC LIMIT 1)`,
    { id: agentId, kind },
  );
  if (r === undefined) return undefined;
  const challenge =
    r.c_session === null
      ? undefined
      : toChallenge({
          session: r.c_session,
          agent_id: r.c_agent_id!,
          kind: r.c_kind!,
          tag_sha256: r.c_tag_sha256!,
          ak_name: r.c_ak_name!,
          created_at: r.c_created_at!,
          expires_at: r.c_expires_at!,
          used_at: r.c_used_at,
          outcome: r.c_outcome,
        });
  return { agent: toAgentKeys(r), challenge };
}

/** The ids of the agents that completed activation, sorted. */
export async function activeAgentIds(db: SqlReader): Promise<string[]> {
  const rows = await db.all<{ agent_id: string }>(
    "SELECT agent_id FROM agents WHERE active = 1 ORDER BY agent_id",
  );
  return rows.map((r) => r.agent_id);
}

/**
 * Records a registration: a new agent, or the same agent registering again (its new details
 * and `regcount`), inactive until it answers its new challenge.
 */
export async function saveRegistration(
  tx: SqlRunner,
  a: AgentRegistration,
  regcount: number,
  nowSeconds: number,
): Promise<void> {
  // WHERE true: sqlite needs it to tell ON CONFLICT from a join constraint after SELECT … FROM.
  await tx.batch(
    `INSERT INTO agents (agent_id, device_id, ek_pub_sha256, ek_tpm, ekcert, aik_tpm, ak_name, mtls_cert, ip, port,
       registered_at, active, activated_at, regcount)
     SELECT r ->> 'id', r ->> 'device', unhex(r ->> 'ek'), unhex(r ->> 'ekTpm'), unhex(r ->> 'ekcert'),
       unhex(r ->> 'aikTpm'), unhex(r ->> 'akName'), r ->> 'mtls', r ->> 'ip', r ->> 'port', r ->> 'now', 0, NULL,
       r ->> 'regcount'
     FROM (SELECT value AS r FROM json_each(?1)) WHERE true
     ON CONFLICT (agent_id) DO UPDATE SET device_id = excluded.device_id, ek_pub_sha256 = excluded.ek_pub_sha256,
       ek_tpm = excluded.ek_tpm, ekcert = excluded.ekcert, aik_tpm = excluded.aik_tpm, ak_name = excluded.ak_name,
       mtls_cert = excluded.mtls_cert, ip = excluded.ip, port = excluded.port, registered_at = excluded.registered_at,
       active = 0, activated_at = NULL, regcount = excluded.regcount`,
    {
      id: a.agentId,
      device: a.deviceId,
      ek: a.ekPubSha256,
      ekTpm: hexField(a.ekTpm),
      ekcert: hexField(a.ekcert),
      aikTpm: hexField(a.aikTpm),
      akName: hexField(a.akName),
      mtls: a.mtlsCert,
      ip: a.ip,
      port: a.port,
      now: nowSeconds,
      regcount,
    },
  );
}

/** What a re-registration may change without new evidence: see renewRegistration. */
export type AgentRenewal = Pick<AgentRegistration, "agentId" | "mtlsCert" | "ip" | "port">;

/**
 * Records a re-registration that sent the evidence already recorded (the same ek_tpm, ekcert
 * and aik_tpm, for the same device): saveRegistration without rewriting those blobs or any
 * indexed column. An agent re-registers at every start, and the blobs are most of its row: on
 * this path they were most of the statement's cost (JSON, unhex, record and index writes).
 */
export async function renewRegistration(
  tx: SqlRunner,
  a: AgentRenewal,
  regcount: number,
  nowSeconds: number,
): Promise<void> {
  await tx.batch(
    `UPDATE agents SET mtls_cert = j.value ->> 'mtls', ip = j.value ->> 'ip', port = j.value ->> 'port',
       registered_at = j.value ->> 'now', active = 0, activated_at = NULL, regcount = j.value ->> 'regcount'
     FROM json_each(?1) j WHERE agents.agent_id = j.value ->> 'id'`,
    { id: a.agentId, mtls: a.mtlsCert, ip: a.ip, port: a.port, now: nowSeconds, regcount },
  );
}

/** Marks the agent active. Returns false when there is no such agent. */
export async function activateAgent(tx: SqlRunner, agentId: string, nowSeconds: number): Promise<boolean> {
  const updated = await tx.batch<{ agent_id: string }>(
    `UPDATE agents SET active = 1, activated_at = j.value ->> 'now' FROM json_each(?1) j
      WHERE agents.agent_id = j.value ->> 'id' RETURNING agent_id`,
    { id: agentId, now: nowSeconds },
  );
  return updated.some((r) => r.agent_id === agentId);
}

/** Removes the agent (keylime's DELETE). Returns false when there was none. */
export async function deleteAgent(tx: SqlRunner, agentId: string): Promise<boolean> {
  const r = await tx.run("DELETE FROM agents WHERE agent_id = ?", [agentId]);
  return r.changes > 0;
}
