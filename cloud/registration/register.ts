// Step one of registration (DESIGN §6), online (keylime POST) or offline (request file):
// decode and check the request, apply the admission policy, record the agent and issue a
// credential challenge. Everything the step changes is one write transaction.
import { equalBytes } from "../../shared/bytes/equal-bytes.js";
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import {
  type AgentRegistration,
  type RegisteredAgent,
  registeredAgent,
  renewRegistration,
  saveRegistration,
} from "../store/agents.js";
import { type ChallengeKind, insertChallenge, supersedeChallenges } from "../store/challenges.js";
import { DeviceStateError, deviceByEk, setDeviceState } from "../store/devices.js";
import {
  checkAdmission,
  type ParsedRegistration,
  parseRegistration,
  type RegistrationRequest,
} from "./admission.js";
import { prepareChallenge } from "./challenge.js";
import { RegistrationError, refused } from "./errors.js";

export interface BeginOptions {
  kind: ChallengeKind;
  /** Who asked, for the audit log ("agent:<address>", "cli"…). */
  actor?: string;
}

export interface BegunRegistration {
  /** The credential blob (tpm2-tools layout) the agent's TPM must activate. */
  blob: Uint8Array;
  /** The challenge session, for the offline flow. */
  session: string;
  /** When the challenge expires, epoch seconds. */
  expiresAt: number;
  agentId: string;
  ekPubSha256: string;
  /** The pre-registered device, or null when admitted without one. */
  deviceId: number | null;
  regcount: number;
}

/** Whether a re-registration sent exactly what the agent's row records (renewRegistration). */
const sameEvidence = (existing: RegisteredAgent, record: AgentRegistration): boolean =>
  existing.deviceId === record.deviceId &&
  equalBytes(existing.ekTpm, record.ekTpm) &&
  equalBytes(existing.ekcert, record.ekcert) &&
  equalBytes(existing.aikTpm, record.aikTpm);

const isParsed = (r: RegistrationRequest | ParsedRegistration): r is ParsedRegistration => "ekPublic" in r;

/**
 * Admits a registration and issues its challenge, or throws RegistrationError saying why not.
 * `input` may be already parsed (the API parses first, to rate-limit by EK).
 */
export async function beginRegistration(
  registrar: Registrar,
  input: RegistrationRequest | ParsedRegistration,
  options: BeginOptions,
): Promise<BegunRegistration> {
  try {
    const result = await register(registrar, isParsed(input) ? input : parseRegistration(input), options);
    registrar.metrics.registrations.inc({ step: "post", outcome: "ok" });
    return result;
  } catch (e) {
    registrar.metrics.registrations.inc({
      step: "post",
      outcome: e instanceof RegistrationError ? e.code : "error",
    });
    throw e;
  }
}

async function register(
  registrar: Registrar,
  parsed: ParsedRegistration,
  options: BeginOptions,
): Promise<BegunRegistration> {
  const { agentId } = parsed.request;
  const device = await deviceByEk(registrar.db, parsed.ekPubSha256, { manifest: false });
  const admission = await checkAdmission(registrar, parsed, device);
  const prepared = prepareChallenge(registrar, parsed, options.kind);
  const now = registrar.nowSeconds();

  const record: AgentRegistration = {
    agentId,
    deviceId: admission.deviceId,
    ekPubSha256: parsed.ekPubSha256,
    ekTpm: parsed.request.ekTpm,
    ekcert: admission.ekCertDer,
    aikTpm: parsed.request.aikTpm,
    akName: parsed.akName,
    mtlsCert: parsed.request.mtlsCert ?? null,
    ip: parsed.request.ip ?? null,
    port: parsed.request.port ?? null,
  };

  // Few statements: this transaction is on the path of every registration.
  const regcount = await registrar.db.write(
    async (tx) => {
      const existing = await registeredAgent(tx, agentId);
      let count = 1;
      if (existing) {
        const changed: string[] = [];
        if (existing.ekPubSha256 !== parsed.ekPubSha256)
          changed.push(`EK ${existing.ekPubSha256.slice(0, 16)}… → ${parsed.ekPubSha256.slice(0, 16)}…`);
        if (!equalBytes(existing.akName, parsed.akName))
          changed.push(
            `AK ${Buffer.from(existing.akName).toString("hex").slice(0, 20)}… → ${Buffer.from(parsed.akName).toString("hex").slice(0, 20)}…`,
          );
        if (changed.length > 0)
          throw refused(
            "AGENT_KEYS_CHANGED",
            `agent ${agentId} is already registered with other keys (${changed.join(", ")}); an agent id keeps its EK and AK: delete the agent (DELETE /v2.x/agents/${agentId}, admin) if the board really changed`,
          );
        count = existing.regcount + 1;
        await supersedeChallenges(tx, agentId, now);
      }
      if (existing && sameEvidence(existing, record)) await renewRegistration(tx, record, count, now);
      else await saveRegistration(tx, record, count, now);
      await insertChallenge(tx, prepared.record);
      if (admission.deviceId !== null) {
        try {
          await setDeviceState(
            tx,
            admission.deviceId,
            "registered",
            { agent_id: agentId, regcount: count, kind: options.kind },
            registrar.clock(),
          );
        } catch (e) {
          // Revoked between the policy check and this transaction (the UPDATE changed nothing).
          if (e instanceof DeviceStateError)
            throw refused(
              "DEVICE_REVOKED",
              `device ${admission.deviceId} was revoked while its agent registered`,
            );
          throw e;
        }
      } else {
        await appendAudit(
          tx,
          {
            actor: options.actor ?? "agent",
            action: "agent.register.unlisted",
            subject: agentId,
            detail: { ek_pub_sha256: parsed.ekPubSha256, note: "admitted without a pre-registration" },
          },
          registrar.clock(),
        );
      }
      return count;
    },
    { key: agentId },
  );

  return {
    blob: prepared.blob,
    session: prepared.record.session,
    expiresAt: prepared.record.expiresAt,
    agentId,
    ekPubSha256: parsed.ekPubSha256,
    deviceId: admission.deviceId,
    regcount,
  };
}
