// Online registration (DESIGN §7), keylime's protocol as a stock registrar expects it:
//
//   TPM:       EK cert from NV → EK (checked against the cert) → AK (kept in the state dir)
//   registrar: POST /v{ver}/agents/{id} {ekcert, ek_tpm, aik_tpm, mtls_cert, ip, port} → blob
//   TPM:       ActivateCredential(blob) → challenge
//   registrar: PUT  /v{ver}/agents/{id}/activate {auth_tag}
//
// The TPM is opened for each TPM phase and closed while the agent talks to the registrar, which
// may take minutes of retries. state.json is written (atomically) once the POST is accepted
// and again once the agent is active, so the board is never left with a half-written record.
import { encodePublicArea } from "../../shared/tpm/verifier/public-area.js";
import { needsEk, resolveAgentId } from "../config/agent-id.js";
import type { AgentConfig } from "../config/config.js";
import { ConfigError, RegistrarAnswerError } from "../errors.js";
import { KeylimeRegistrarClient } from "../registrar/keylime-client.js";
import { Retrier } from "../registrar/retry.js";
import { type AgentState, writeState } from "../state/state-file.js";
import { activate, parseBlob } from "../tpm/activate.js";
import { prepareIdentity } from "../tpm/identity.js";
import { withTpm } from "../tpm/tpm-session.js";
import { authTag } from "./auth-tag.js";
import { Stopwatch, type Timings } from "./timings.js";

export interface RegisterResult {
  agent_id: string;
  registrar: string;
  api_version: string;
  ek_template: string;
  ek_pub_sha256: string;
  ak_name: string;
  /** False when the AK was made in this run, true when it was reloaded from the state dir. */
  ak_reused: boolean;
  registered_at: string;
  activated_at: string;
  /** Milliseconds: total, inside TPM phases, waiting for the registrar, the agent's own work. */
  timings_ms: Timings;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

export async function registerOnline(
  config: AgentConfig,
  log: (line: string) => void,
): Promise<RegisterResult> {
  const clock = new Stopwatch();
  const registrar = config.registrar;
  if (!registrar)
    throw new ConfigError(
      "REGISTRAR_MISSING",
      'no registrar URL: pass --registrar URL, set EDGE_AGENT_REGISTRAR, or put "registrar" in the config file',
    );
  // Ids that do not depend on the EK are checked before the TPM is touched.
  const earlyId = needsEk(config.agentId) ? undefined : resolveAgentId(config.agentId);
  const client = new KeylimeRegistrarClient(
    registrar,
    new Retrier({ maxWaitMs: config.maxWaitMs, log }),
    config.registrarCa,
  );

  const identity = await clock.tpm(() => withTpm(config.tcti, (tpm) => prepareIdentity(tpm, config)));
  const agentId = earlyId ?? resolveAgentId(config.agentId, identity.ekPublic);
  log(
    `agent ${agentId}: ${identity.ekTemplate} EK ${identity.ekPubSha256.slice(0, 16)}… (${identity.ekOrigin}), ${identity.akCreated ? "new AK" : "AK reloaded from the state dir"}`,
  );

  const blob = await clock.registrar(() =>
    client.register(agentId, {
      ekcert: b64(identity.ekCert.der),
      ek_tpm: b64(encodePublicArea(identity.ekPublic)),
      aik_tpm: b64(encodePublicArea(identity.ak.public)),
      mtls_cert: null,
      ip: config.contactIp,
      port: config.contactPort,
    }),
  );
  const state: AgentState = {
    v: 1,
    agent_id: agentId,
    registrar,
    ek_template: identity.ekTemplate,
    ek_pub_sha256: identity.ekPubSha256,
    ak_file: identity.akFile,
    ak_name: Buffer.from(identity.akName).toString("hex"),
    registered_at: new Date().toISOString(),
    activated_at: null,
  };
  await writeState(config.stateDir, state);

  const badBlob = (message: string, cause: unknown) =>
    new RegistrarAnswerError(
      "REGISTRAR_BLOB_INVALID",
      `the registrar's credential blob is unusable: ${message}`,
      {
        cause,
      },
    );
  const challenge = parseBlob(blob, badBlob);
  const secret = await clock.tpm(() =>
    withTpm(config.tcti, (tpm) =>
      activate(
        tpm,
        config,
        { ekTemplate: identity.ekTemplate, ekPubSha256: identity.ekPubSha256, ak: identity.ak, challenge },
        badBlob,
      ),
    ),
  );
  const tag = authTag(secret, agentId);
  await clock.registrar(() => client.activate(agentId, tag));
  const activated: AgentState = { ...state, activated_at: new Date().toISOString() };
  await writeState(config.stateDir, activated);
  return {
    agent_id: agentId,
    registrar,
    api_version: await client.apiVersion(),
    ek_template: identity.ekTemplate,
    ek_pub_sha256: identity.ekPubSha256,
    ak_name: activated.ak_name,
    ak_reused: !identity.akCreated,
    registered_at: state.registered_at as string,
    activated_at: activated.activated_at as string,
    timings_ms: clock.result(),
  };
}
