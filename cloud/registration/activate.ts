// Step two of registration (DESIGN §6): the agent's answer to its credential challenge
// (keylime PUT …/activate, or an offline response file). A right answer makes the agent and
// its device active (the device's events record it). A wrong, replayed or late one is refused,
// uses up the session and is audited; it never deletes the agent or the device's
// pre-registration.
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { activateAgent, agentKeys, agentWithLatestChallenge } from "../store/agents.js";
import { endChallenge, getChallenge } from "../store/challenges.js";
import { DeviceStateError, setDeviceState } from "../store/devices.js";
import { normalizeAuthTag } from "./auth-tag.js";
import { checkAnswer } from "./challenge.js";
import { invalid, RegistrationError, refused } from "./errors.js";

export interface ActivationOptions {
  /** The challenge session (offline); default: the agent's newest online challenge. */
  session?: string;
  /** Who answered, for the audit log ("agent:<address>", "cli"…). */
  actor?: string;
}

export interface Activation {
  agentId: string;
  deviceId: number | null;
  session: string;
}

/** Activates the agent, or throws RegistrationError saying why not (after committing the failure). */
export async function completeActivation(
  registrar: Registrar,
  agentId: string,
  authTag: string,
  options: ActivationOptions = {},
): Promise<Activation> {
  const tag = normalizeAuthTag(authTag);
  if (tag === undefined) {
    registrar.metrics.registrations.inc({ step: "activate", outcome: "AUTH_TAG_MALFORMED" });
    throw invalid(
      "AUTH_TAG_MALFORMED",
      "auth_tag must be 96 hex digits: the HMAC-SHA384 of the agent id keyed with the base64 text of the challenge",
    );
  }
  const actor = options.actor ?? "agent";
  const clock = registrar.clock();
  const outcome = await registrar.db.write(
    async (
      tx,
    ): Promise<
      { ok: true; value: Activation } | { ok: false; error: RegistrationError; reason?: string }
    > => {
      const found =
        options.session === undefined
          ? await agentWithLatestChallenge(tx, agentId, "online")
          : await agentKeys(tx, agentId).then(
              async (agent) => agent && { agent, challenge: await getChallenge(tx, options.session!) },
            );
      if (!found)
        return {
          ok: false,
          error: new RegistrationError(
            "unknown",
            "AGENT_NOT_FOUND",
            `agent ${agentId} is not registered: register it (POST) first`,
          ),
        };
      const audit = (action: string, detail: Record<string, unknown>) =>
        appendAudit(tx, { actor, action, subject: agentId, detail }, clock);

      const { agent, challenge } = found;
      const check = await checkAnswer(tx, registrar, agent, tag, challenge, options.session);
      if (!check.ok) {
        await audit("agent.activate.failed", {
          reason: check.failure,
          code: check.error.code,
          session: check.session,
          device_id: agent.deviceId,
        });
        return { ok: false, error: check.error, reason: check.failure };
      }
      const now = registrar.nowSeconds();
      if (agent.deviceId !== null) {
        try {
          await setDeviceState(
            tx,
            agent.deviceId,
            "active",
            { agent_id: agentId, session: check.challenge.session },
            clock,
          );
        } catch (e) {
          if (!(e instanceof DeviceStateError)) throw e;
          // Revoked since it registered (the UPDATE changed nothing).
          await endChallenge(tx, check.challenge.session, "refused", now);
          await audit("agent.activate.failed", { reason: "revoked", session: check.challenge.session });
          return {
            ok: false,
            error: refused(
              "DEVICE_REVOKED",
              `device ${agent.deviceId} of agent ${agentId} is revoked: it may not become active`,
            ),
            reason: "revoked",
          };
        }
      }
      await endChallenge(tx, check.challenge.session, "activated", now);
      await activateAgent(tx, agentId, now);
      return { ok: true, value: { agentId, deviceId: agent.deviceId, session: check.challenge.session } };
    },
    { key: agentId },
  );
  if (!outcome.ok) {
    registrar.metrics.registrations.inc({ step: "activate", outcome: outcome.error.code });
    if (outcome.reason) registrar.metrics.challengeFailures.inc({ reason: outcome.reason });
    throw outcome.error;
  }
  registrar.metrics.registrations.inc({ step: "activate", outcome: "ok" });
  return outcome.value;
}
