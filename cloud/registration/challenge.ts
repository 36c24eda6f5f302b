// Credential challenges (DESIGN §3, §6): issuing one for an admitted registration, and
// checking an agent's answer. A challenge is a fresh 32-character secret that MakeCredential
// seals to the EK for the AK's Name, so only the TPM holding both can recover it; the blob is
// tpm2-tools' credential file. Sessions expire (online: challengeSeconds, offline:
// offlineSeconds), are single-use whatever the outcome, and keep only the SHA-256 of the
// expected auth_tag.
import { randomBytes } from "node:crypto";
import { equalBytes } from "../../shared/bytes/equal-bytes.js";
import { encodeCredentialBlob, makeCredential } from "../../shared/tpm/verifier/index.js";
import type { Registrar } from "../registrar/registrar.js";
import type { AgentKeys } from "../store/agents.js";
import {
  type Challenge,
  type ChallengeKind,
  type ChallengeOutcome,
  endChallenge,
  type NewChallenge,
} from "../store/challenges.js";
import type { SqlRunner } from "../store/sql.js";
import type { ParsedRegistration } from "./admission.js";
import { authTag, authTagDigest, authTagMatches, newChallenge } from "./auth-tag.js";
import { invalid, type RegistrationError, refused } from "./errors.js";

export interface PreparedChallenge {
  /** tpm2-tools credential file: 0xBADCC0DE ‖ 1 ‖ TPM2B_ID_OBJECT ‖ TPM2B_ENCRYPTED_SECRET. */
  blob: Uint8Array;
  /** The row to store once the registration is admitted. */
  record: NewChallenge;
}

/** A new session id: 128 random bits, hex. */
const newSession = (): string => randomBytes(16).toString("hex");

/** Makes the challenge and its blob (CPU only: no database). */
export function prepareChallenge(
  registrar: Registrar,
  parsed: ParsedRegistration,
  kind: ChallengeKind,
): PreparedChallenge {
  const secret = newChallenge();
  let blob: Uint8Array;
  try {
    blob = encodeCredentialBlob(
      makeCredential({
        ekPublic: parsed.ekPublic,
        akName: parsed.akName,
        credential: new Uint8Array(Buffer.from(secret, "ascii")),
      }),
    );
  } catch (e) {
    throw invalid(
      "EK_NOT_STORAGE_KEY",
      `cannot make a credential challenge for ek_tpm: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const now = registrar.nowSeconds();
  const lifetime = kind === "online" ? registrar.config.challengeSeconds : registrar.config.offlineSeconds;
  return {
    blob,
    record: {
      session: newSession(),
      agentId: parsed.request.agentId,
      kind,
      tagSha256: authTagDigest(authTag(secret, parsed.request.agentId)),
      akName: parsed.akName,
      createdAt: now,
      expiresAt: now + lifetime,
    },
  };
}

/** Why an answer was refused, for the metrics' `reason` label. */
export type ChallengeFailure = "missing" | "replayed" | "expired" | "wrong-tag" | "ak-changed";

export type AnswerCheck =
  | { ok: true; challenge: Challenge }
  | { ok: false; failure: ChallengeFailure; error: RegistrationError; session: string | null };

const USED: Record<ChallengeOutcome, string> = {
  activated: "it was already answered: this auth_tag is a replay",
  "wrong-tag": "it already failed with a wrong auth_tag",
  expired: "it expired",
  superseded: "a newer registration of this agent replaced it",
  refused: "it was refused",
};

/**
 * Checks an answer to `challenge` (the session named by an offline answer, or the agent's newest
 * online one; undefined when there is none) inside the caller's write transaction. A wrong,
 * late or stale answer ends the session here (the caller commits that too: a failed answer
 * still uses up its session); a right one leaves the session open for the caller to end once
 * it has acted on it. `tag` is normalised lowercase hex.
 */
export async function checkAnswer(
  tx: SqlRunner,
  registrar: Registrar,
  agent: AgentKeys,
  tag: string,
  challenge: Challenge | undefined,
  session: string | undefined,
): Promise<AnswerCheck> {
  const id = agent.agentId;
  if (challenge === undefined || challenge.agentId !== id)
    return {
      ok: false,
      failure: "missing",
      session: null,
      error: refused(
        "CHALLENGE_MISSING",
        session !== undefined
          ? `there is no challenge session ${session} for agent ${id}`
          : `agent ${id} has no challenge to answer: register it (POST) first`,
      ),
    };
  const fail = (failure: ChallengeFailure, error: RegistrationError): AnswerCheck => ({
    ok: false,
    failure,
    error,
    session: challenge.session,
  });
  if (challenge.usedAt !== null)
    return fail(
      "replayed",
      refused(
        "CHALLENGE_USED",
        `the challenge of agent ${id} can be answered once and ${USED[challenge.outcome ?? "refused"]}; register again (POST) for a new challenge`,
      ),
    );
  const now = registrar.nowSeconds();
  if (now >= challenge.expiresAt) {
    await endChallenge(tx, challenge.session, "expired", now);
    return fail(
      "expired",
      refused(
        "CHALLENGE_EXPIRED",
        `the challenge of agent ${id} expired ${now - challenge.expiresAt} s ago (challenges last ${challenge.expiresAt - challenge.createdAt} s); register again (POST) for a new challenge`,
      ),
    );
  }
  if (!equalBytes(challenge.akName, agent.akName)) {
    await endChallenge(tx, challenge.session, "refused", now);
    return fail(
      "ak-changed",
      refused(
        "AGENT_KEYS_CHANGED",
        `the challenge of agent ${id} was made for another AK than the registered one`,
      ),
    );
  }
  if (!authTagMatches(challenge.tagSha256, tag)) {
    await endChallenge(tx, challenge.session, "wrong-tag", now);
    return fail(
      "wrong-tag",
      refused(
        "AUTH_TAG_MISMATCH",
        `auth_tag does not match the challenge of agent ${id}: the TPM did not recover the credential (another EK or AK, or a wrong HMAC key: it is the base64 text of the challenge); this session is now used, register again (POST) for a new challenge`,
      ),
    );
  }
  return { ok: true, challenge };
}
