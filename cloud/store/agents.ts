// Agents that registered through the keylime-compatible API (DESIGN §6), keylime's registrar
// table: one row per agent_id, with the EK and AK it registered with. `active` is set once the
// agent has answered its credential challenge, and reset by a re-registration.
import type { SqlReader, SqlRunner } from "./sql.js";

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

export async function getAgent(db: SqlReader, agentId: string): Promise<Agent | undefined> {
  const r = await db.get<AgentRow>("SELECT * FROM agents WHERE agent_id = ?", [agentId]);
  return r && toAgent(r);
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
  await tx.run(
    `INSERT INTO agents (agent_id, device_id, ek_pub_sha256, ek_tpm, ekcert, aik_tpm, ak_name, mtls_cert, ip, port,
       registered_at, active, activated_at, regcount)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?)
     ON CONFLICT (agent_id) DO UPDATE SET device_id = excluded.device_id, ek_pub_sha256 = excluded.ek_pub_sha256,
       ek_tpm = excluded.ek_tpm, ekcert = excluded.ekcert, aik_tpm = excluded.aik_tpm, ak_name = excluded.ak_name,
       mtls_cert = excluded.mtls_cert, ip = excluded.ip, port = excluded.port, registered_at = excluded.registered_at,
       active = 0, activated_at = NULL, regcount = excluded.regcount`,
    [
      a.agentId,
      a.deviceId,
      Buffer.from(a.ekPubSha256, "hex"),
      a.ekTpm,
      a.ekcert,
      a.aikTpm,
      a.akName,
      a.mtlsCert,
      a.ip,
      a.port,
      nowSeconds,
      regcount,
    ],
  );
}

/** Marks the agent active. Returns false when there is no such agent. */
export async function activateAgent(tx: SqlRunner, agentId: string, nowSeconds: number): Promise<boolean> {
  const r = await tx.run("UPDATE agents SET active = 1, activated_at = ? WHERE agent_id = ?", [
    nowSeconds,
    agentId,
  ]);
  return r.changes > 0;
}

/** Removes the agent (keylime's DELETE). Returns false when there was none. */
export async function deleteAgent(tx: SqlRunner, agentId: string): Promise<boolean> {
  const r = await tx.run("DELETE FROM agents WHERE agent_id = ?", [agentId]);
  return r.changes > 0;
}
