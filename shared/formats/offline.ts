// Offline registration files (DESIGN §5), for a device with no network path to the registrar:
//
//   <agent_id>.request    agent → registrar   {v, agent_id, ek_tpm, ekcert, aik_tpm, created_at}
//   <agent_id>.challenge  registrar → agent   COSE_Sign1 by the registrar's Ed25519 key over
//                                             {v, agent_id, blob, session, expires_at}
//   <agent_id>.response   agent → registrar   {v, agent_id, session, auth_tag}
//
// The same values as the online keylime exchange (DESIGN §6), as CBOR: binary values (ek_tpm,
// aik_tpm: TPM2B_PUBLIC; ekcert: DER; blob: the credential blob) are byte strings; auth_tag is
// the same lowercase hex text as online. The agent checks the challenge's signature against
// the registrar's public key before it touches the TPM. node:crypto only (the agent uses it):
// the registrar signs challenges with signSign1 (cose-sign1.ts).
import { type CborValue, decodeCbor, encodeCbor, requireVersion } from "./cbor.js";
import { type KeyLookup, verifySign1 } from "./cose-verify.js";
import { CborError } from "./errors.js";
import { fieldCheckers } from "./fields.js";

export const OFFLINE_VERSION = 1;

export const OFFLINE_LIMITS = {
  /** A whole offline file. */
  maxBytes: 256 * 1024,
  maxAgentId: 255,
  /** A TPM2B_PUBLIC. */
  maxPubBytes: 4096,
  maxCertBytes: 64 * 1024,
  maxBlobBytes: 8192,
  maxSession: 128,
} as const;

export class OfflineFileError extends Error {
  override readonly name = "OfflineFileError";
  readonly code = "OFFLINE_FILE_INVALID";
}

export interface OfflineRequest {
  v: number;
  agent_id: string;
  ek_tpm: Uint8Array;
  ekcert: Uint8Array | null;
  aik_tpm: Uint8Array;
  /** Epoch seconds. */
  created_at: number;
}

export interface OfflineChallenge {
  v: number;
  agent_id: string;
  blob: Uint8Array;
  session: string;
  /** Epoch seconds. */
  expires_at: number;
}

export interface OfflineResponse {
  v: number;
  agent_id: string;
  session: string;
  /** Lowercase hex HMAC-SHA384, as online. */
  auth_tag: string;
}

function decode(bytes: Uint8Array, what: string): CborValue {
  try {
    return decodeCbor(bytes, { maxBytes: OFFLINE_LIMITS.maxBytes, maxDepth: 4 });
  } catch (e) {
    if (e instanceof CborError) throw new OfflineFileError(`${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

function checkers(what: string) {
  return fieldCheckers(what, (m) => new OfflineFileError(m));
}

const REQUEST = "offline request";
const CHALLENGE = "offline challenge";
const RESPONSE = "offline response";

export function checkOfflineRequest(value: unknown): OfflineRequest {
  const f = checkers(REQUEST);
  const v = f.object(value, ["v", "agent_id", "ek_tpm", "ekcert", "aik_tpm", "created_at"], "payload");
  requireVersion(v, [OFFLINE_VERSION], REQUEST);
  return {
    v: OFFLINE_VERSION,
    agent_id: f.text(v["agent_id"], "agent_id", OFFLINE_LIMITS.maxAgentId),
    ek_tpm: f.bytes(v["ek_tpm"], "ek_tpm", OFFLINE_LIMITS.maxPubBytes),
    ekcert: f.bytesOrNull(v["ekcert"], "ekcert", OFFLINE_LIMITS.maxCertBytes),
    aik_tpm: f.bytes(v["aik_tpm"], "aik_tpm", OFFLINE_LIMITS.maxPubBytes),
    created_at: f.uint(v["created_at"], "created_at"),
  };
}

export function checkOfflineChallenge(value: unknown): OfflineChallenge {
  const f = checkers(CHALLENGE);
  const v = f.object(value, ["v", "agent_id", "blob", "session", "expires_at"], "payload");
  requireVersion(v, [OFFLINE_VERSION], CHALLENGE);
  return {
    v: OFFLINE_VERSION,
    agent_id: f.text(v["agent_id"], "agent_id", OFFLINE_LIMITS.maxAgentId),
    blob: f.bytes(v["blob"], "blob", OFFLINE_LIMITS.maxBlobBytes),
    session: f.text(v["session"], "session", OFFLINE_LIMITS.maxSession),
    expires_at: f.uint(v["expires_at"], "expires_at"),
  };
}

export function checkOfflineResponse(value: unknown): OfflineResponse {
  const f = checkers(RESPONSE);
  const v = f.object(value, ["v", "agent_id", "session", "auth_tag"], "payload");
  requireVersion(v, [OFFLINE_VERSION], RESPONSE);
  const authTag = f.text(v["auth_tag"], "auth_tag", 96);
  if (!/^[0-9a-f]{96}$/.test(authTag)) f.fail("auth_tag", "is not 96 lowercase hex digits (HMAC-SHA384)");
  return {
    v: OFFLINE_VERSION,
    agent_id: f.text(v["agent_id"], "agent_id", OFFLINE_LIMITS.maxAgentId),
    session: f.text(v["session"], "session", OFFLINE_LIMITS.maxSession),
    auth_tag: authTag,
  };
}

/** Encodes after checking exactly what will be written, as a reader will. */
function encodeChecked<T>(value: T, check: (v: unknown) => T): Uint8Array {
  check(value);
  return encodeCbor(value as unknown as CborValue);
}

export const encodeOfflineRequest = (r: OfflineRequest): Uint8Array => encodeChecked(r, checkOfflineRequest);
export const encodeOfflineResponse = (r: OfflineResponse): Uint8Array =>
  encodeChecked(r, checkOfflineResponse);
/** The challenge's payload, to be signed by the registrar (signSign1). */
export const encodeOfflineChallengePayload = (c: OfflineChallenge): Uint8Array =>
  encodeChecked(c, checkOfflineChallenge);

export const decodeOfflineRequest = (bytes: Uint8Array): OfflineRequest =>
  checkOfflineRequest(decode(bytes, REQUEST));
export const decodeOfflineResponse = (bytes: Uint8Array): OfflineResponse =>
  checkOfflineResponse(decode(bytes, RESPONSE));

/**
 * Verifies a challenge file's signature against the registrar's key (CoseError subclasses
 * when it does not verify, e.g. a challenge signed by another key) and decodes its payload.
 */
export function verifyOfflineChallenge(bytes: Uint8Array, registrarKey: KeyLookup): OfflineChallenge {
  const { payload } = verifySign1(bytes, registrarKey, OFFLINE_LIMITS.maxBytes);
  return checkOfflineChallenge(decode(payload, CHALLENGE));
}
