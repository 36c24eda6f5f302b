// What the admin side of the keylime API does with registered agents (DESIGN §6): list the
// active ones, show one (only once active, as keylime), delete one (audited).
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { type Agent, activeAgentIds, deleteAgent, getAgent } from "../store/agents.js";
import { deleteAgentChallenges } from "../store/challenges.js";
import { RegistrationError } from "./errors.js";

export const listActiveAgents = (registrar: Registrar): Promise<string[]> => activeAgentIds(registrar.db);

/** The agent, once it is active; RegistrationError ("unknown") before. */
export async function showActiveAgent(registrar: Registrar, agentId: string): Promise<Agent> {
  const agent = await getAgent(registrar.db, agentId);
  if (!agent) throw new RegistrationError("unknown", "AGENT_NOT_FOUND", `agent ${agentId} is not registered`);
  if (!agent.active)
    throw new RegistrationError(
      "unknown",
      "AGENT_NOT_FOUND",
      `agent ${agentId} is registered but not yet active (it has not answered its credential challenge)`,
    );
  return agent;
}

/** Deletes the agent and its challenges; the device's pre-registration stays. */
export async function removeAgent(registrar: Registrar, agentId: string, actor: string): Promise<void> {
  const removed = await registrar.db.write(async (tx) => {
    const agent = await getAgent(tx, agentId);
    if (!agent) return false;
    await deleteAgent(tx, agentId);
    await deleteAgentChallenges(tx, agentId);
    await appendAudit(
      tx,
      {
        actor,
        action: "agent.delete",
        subject: agentId,
        detail: { device_id: agent.deviceId, ek_pub_sha256: agent.ekPubSha256, was_active: agent.active },
      },
      registrar.clock(),
    );
    return true;
  });
  if (!removed)
    throw new RegistrationError("unknown", "AGENT_NOT_FOUND", `agent ${agentId} is not registered`);
}
