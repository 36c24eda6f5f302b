// Offline registration through files (DESIGN §5), for a device with no network path to the
// registrar:
//
//   offline request:  TPM → <agent_id>.request {v, agent_id, ek_tpm, ekcert, aik_tpm, created_at}
//   (the registrar answers with <agent_id>.challenge, a COSE_Sign1 by its Ed25519 key)
//   offline activate: verify the challenge's signature and addressee BEFORE the TPM is touched,
//                     ActivateCredential, → <agent_id>.response {v, agent_id, session, auth_tag}
//
// The values are the online exchange's (same AK, same auth_tag), in CBOR (shared/formats).
import { readFile } from "node:fs/promises";
import { kidOf } from "../../shared/formats/cose-verify.js";
import { CoseError, KeyFileError } from "../../shared/formats/errors.js";
import { rawPublicKey, readPublicKey } from "../../shared/formats/keys.js";
import {
  encodeOfflineRequest,
  encodeOfflineResponse,
  OFFLINE_LIMITS,
  OFFLINE_VERSION,
  OfflineFileError,
  verifyOfflineChallenge,
} from "../../shared/formats/offline.js";
import type { EkTemplateName } from "../../shared/tpm/ek/templates.js";
import { encodePublicArea } from "../../shared/tpm/verifier/public-area.js";
import { resolveAgentId } from "../config/agent-id.js";
import type { AgentConfig } from "../config/config.js";
import { ChallengeRefusedError, ConfigError, messageOf, StateError } from "../errors.js";
import { readAkFile } from "../state/ak-file.js";
import { writeFileAtomic } from "../state/atomic-file.js";
import { type AgentState, readState, writeState } from "../state/state-file.js";
import { activate, parseBlob } from "../tpm/activate.js";
import { prepareIdentity } from "../tpm/identity.js";
import { withTpm } from "../tpm/tpm-session.js";
import { authTag } from "./auth-tag.js";

export const OFFLINE_REGISTRAR = "offline";

export interface OfflineRequestResult {
  agent_id: string;
  out: string;
  ek_template: string;
  ek_pub_sha256: string;
  ak_reused: boolean;
}

async function writeOut(path: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new ConfigError("OUT_UNWRITABLE", `cannot write ${path}: ${messageOf(e)}`);
  }
}

export async function offlineRequest(config: AgentConfig, out: string): Promise<OfflineRequestResult> {
  const identity = await withTpm(config.tcti, (tpm) => prepareIdentity(tpm, config));
  const agentId = resolveAgentId(config.agentId, identity.ekPublic);
  const now = new Date();
  const bytes = encodeOfflineRequest({
    v: OFFLINE_VERSION,
    agent_id: agentId,
    ek_tpm: encodePublicArea(identity.ekPublic),
    ekcert: identity.ekCert.der,
    aik_tpm: encodePublicArea(identity.ak.public),
    created_at: Math.floor(now.getTime() / 1000),
  });
  await writeOut(out, bytes);
  const state: AgentState = {
    v: 1,
    agent_id: agentId,
    registrar: OFFLINE_REGISTRAR,
    ek_template: identity.ekTemplate,
    ek_pub_sha256: identity.ekPubSha256,
    ak_file: identity.akFile,
    ak_name: Buffer.from(identity.akName).toString("hex"),
    registered_at: null,
    activated_at: null,
    offline: { request_at: now.toISOString(), request_file: out, response_at: null, response_file: null },
  };
  await writeState(config.stateDir, state);
  return {
    agent_id: agentId,
    out,
    ek_template: identity.ekTemplate,
    ek_pub_sha256: identity.ekPubSha256,
    ak_reused: !identity.akCreated,
  };
}

export interface OfflineActivateResult {
  agent_id: string;
  session: string;
  out: string;
}

/** The registrar's Ed25519 public key, raw, from --registrar-key. */
async function registrarKey(config: AgentConfig): Promise<Uint8Array> {
  if (!config.registrarKey)
    throw new ConfigError(
      "REGISTRAR_KEY_MISSING",
      "offline activate needs the registrar's public key: pass --registrar-key registrar.ed25519.pub (or EDGE_AGENT_REGISTRAR_KEY)",
    );
  try {
    return rawPublicKey(await readPublicKey(config.registrarKey, "ed25519"));
  } catch (e) {
    if (e instanceof KeyFileError) throw new ConfigError("REGISTRAR_KEY_INVALID", e.message);
    throw e;
  }
}

export async function offlineActivate(
  config: AgentConfig,
  challengePath: string,
  out: string,
): Promise<OfflineActivateResult> {
  const key = await registrarKey(config);
  const state = await readState(config.stateDir);
  if (!state?.offline)
    throw new StateError(
      "OFFLINE_NO_REQUEST",
      `${config.stateDir} records no offline request: run 'offline request' on this device first (with the same --state-dir)`,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(challengePath);
  } catch (e) {
    throw new ConfigError(
      "CHALLENGE_UNREADABLE",
      `cannot read the challenge file ${challengePath}: ${messageOf(e)}`,
    );
  }
  if (bytes.length > OFFLINE_LIMITS.maxBytes)
    throw new ChallengeRefusedError(
      "CHALLENGE_INVALID",
      `${challengePath} is larger than any challenge file`,
    );

  // Everything about the file is checked before the TPM is touched: who signed it, for whom.
  const kid = kidOf(key);
  let challenge: ReturnType<typeof verifyOfflineChallenge>;
  try {
    challenge = verifyOfflineChallenge(new Uint8Array(bytes), (k) =>
      Buffer.from(k).equals(kid) ? key : undefined,
    );
  } catch (e) {
    if (e instanceof CoseError || e instanceof OfflineFileError)
      throw new ChallengeRefusedError(
        "CHALLENGE_NOT_VERIFIED",
        `refusing the challenge ${challengePath}: ${e.message} (checked against the registrar key ${config.registrarKey}, kid ${Buffer.from(kid).toString("hex")})`,
      );
    throw e;
  }
  if (challenge.agent_id !== state.agent_id)
    throw new ChallengeRefusedError(
      "CHALLENGE_OTHER_AGENT",
      `refusing the challenge ${challengePath}: it is for agent ${challenge.agent_id}, and this device is agent ${state.agent_id}`,
    );
  if (challenge.expires_at * 1000 <= Date.now())
    throw new ChallengeRefusedError(
      "CHALLENGE_EXPIRED",
      `refusing the challenge ${challengePath}: it expired at ${new Date(challenge.expires_at * 1000).toISOString()}; ask the registrar for a new one`,
    );
  const refuse = (message: string, cause: unknown) =>
    new ChallengeRefusedError(
      "CHALLENGE_BLOB_INVALID",
      `refusing the challenge ${challengePath}: ${message}`,
      {
        cause,
      },
    );
  const blob = parseBlob(challenge.blob, refuse);
  const ak = await readAkFile(config.stateDir, state.ek_pub_sha256);
  if (!ak)
    throw new StateError(
      "AK_FILE_MISSING",
      `the AK of the offline request (${state.ak_file} in ${config.stateDir}) is gone: run 'offline request' again`,
    );
  const secret = await withTpm(config.tcti, (tpm) =>
    activate(
      tpm,
      config,
      {
        ekTemplate: state.ek_template as EkTemplateName,
        ekPubSha256: state.ek_pub_sha256,
        ak,
        challenge: blob,
      },
      refuse,
    ),
  );
  await writeOut(
    out,
    encodeOfflineResponse({
      v: OFFLINE_VERSION,
      agent_id: state.agent_id,
      session: challenge.session,
      auth_tag: authTag(secret, state.agent_id),
    }),
  );
  await writeState(config.stateDir, {
    ...state,
    offline: { ...state.offline, response_at: new Date().toISOString(), response_file: out },
  });
  return { agent_id: state.agent_id, session: challenge.session, out };
}
