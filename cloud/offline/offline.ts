// Offline registration on the registrar's side (DESIGN §5): the same admission and challenge
// as online (cloud/registration), carried by files. `issueOfflineChallenge` reads an agent's
// request file and answers with a challenge file signed by the registrar's Ed25519 key (the
// agent checks it before touching its TPM); `activateOffline` reads the response file. An
// offline session expires after `offlineSeconds` (7 days by default) and is single-use.
import { signSign1 } from "../../shared/formats/cose-sign1.js";
import { sodiumEd25519KeyPair } from "../../shared/formats/keys.js";
import {
  decodeOfflineRequest,
  decodeOfflineResponse,
  encodeOfflineChallengePayload,
  OFFLINE_VERSION,
} from "../../shared/formats/offline.js";
import { readChallengeKeyPair } from "../registrar/keys.js";
import type { Registrar } from "../registrar/registrar.js";
import { type Activation, beginRegistration, completeActivation } from "../registration/index.js";

export interface IssuedChallenge {
  /** The signed challenge file's bytes. */
  file: Uint8Array;
  agentId: string;
  session: string;
  expiresAt: number;
}

/** Admits the request (or throws RegistrationError/OfflineFileError) and signs its challenge. */
export async function issueOfflineChallenge(
  registrar: Registrar,
  requestFile: Uint8Array,
  actor: string,
): Promise<IssuedChallenge> {
  const request = decodeOfflineRequest(requestFile);
  // Read the key first: a registrar without keys must not leave a challenge it cannot sign.
  const keys = await readChallengeKeyPair(registrar.db);
  const begun = await beginRegistration(
    registrar,
    { agentId: request.agent_id, ekTpm: request.ek_tpm, ekcert: request.ekcert, aikTpm: request.aik_tpm },
    { kind: "offline", actor },
  );
  const file = await signSign1(
    encodeOfflineChallengePayload({
      v: OFFLINE_VERSION,
      agent_id: begun.agentId,
      blob: begun.blob,
      session: begun.session,
      expires_at: begun.expiresAt,
    }),
    sodiumEd25519KeyPair(keys.privateKey),
  );
  return { file, agentId: begun.agentId, session: begun.session, expiresAt: begun.expiresAt };
}

/** Checks a response file's auth_tag against its session (or throws RegistrationError). */
export async function activateOffline(
  registrar: Registrar,
  responseFile: Uint8Array,
  actor: string,
): Promise<Activation> {
  const response = decodeOfflineResponse(responseFile);
  return completeActivation(registrar, response.agent_id, response.auth_tag, {
    session: response.session,
    actor,
  });
}
