// The keylime activation secret and its proof (DESIGN §6): the challenge is 32 random
// characters [A-Za-z0-9], sent to the TPM inside the credential blob; the agent proves it
// recovered it with auth_tag = lowercase hex HMAC-SHA384(key = ASCII of base64(challenge),
// message = agent_id), as keylime's crypto.do_hmac computes it. The registrar keeps only the
// SHA-256 of the expected tag, and compares digests of equal length in constant time.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
export const CHALLENGE_LENGTH = 32;
/** HMAC-SHA384 in hex. */
export const AUTH_TAG_LENGTH = 96;

/** A fresh challenge: 32 characters drawn uniformly from [A-Za-z0-9] (rejection sampling). */
export function newChallenge(): string {
  let out = "";
  while (out.length < CHALLENGE_LENGTH) {
    for (const b of randomBytes(48)) {
      // 248 = 4 × 62: bytes above it would bias the first characters.
      if (b < 248 && out.length < CHALLENGE_LENGTH) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** The auth_tag an agent must send for `challenge`. */
export function authTag(challenge: string, agentId: string): string {
  const key = Buffer.from(Buffer.from(challenge, "ascii").toString("base64"), "ascii");
  return createHmac("sha384", key).update(agentId, "utf8").digest("hex");
}

/** The stored form of an expected auth_tag: SHA-256 of its lowercase hex text. */
export function authTagDigest(tag: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(tag.toLowerCase(), "ascii").digest());
}

/** The tag as lowercase hex, or undefined when it is not 96 hex digits. */
export function normalizeAuthTag(text: string): string | undefined {
  return /^[0-9a-fA-F]{96}$/.test(text) ? text.toLowerCase() : undefined;
}

/** Whether `presented` (normalised) is the tag whose digest is `expectedDigest`, in constant time. */
export function authTagMatches(expectedDigest: Uint8Array, presented: string): boolean {
  const got = authTagDigest(presented);
  return got.length === expectedDigest.length && timingSafeEqual(got, expectedDigest);
}
