// Policy sessions (Part 3 §11.1): unbound and unsalted, since we only use them for policies
// that need no HMAC (PolicySecret with a password, PolicyOR).
import { randomBytes } from "node:crypto";
import { StartAuthSession } from "./commands/start-auth-session.js";
import { HASH_ALGS, TPM_ALG, TPM_SE } from "./constants.js";
import type { Tpm } from "./tpm.js";
import { type Handle, TPM_RH } from "./types.js";

/** Starts a policy session in `hashAlg`. The caller must flush it (see `Tpm.using`). */
export async function startPolicySession(tpm: Tpm, hashAlg: number): Promise<Handle> {
  // Part 3 §11.1: nonceCaller must be 16 bytes at least and at most the digest size.
  const nonceCaller = new Uint8Array(randomBytes(HASH_ALGS[hashAlg]?.size ?? 32));
  const { sessionHandle } = await tpm.run(StartAuthSession, {
    tpmKey: TPM_RH.NULL,
    bind: TPM_RH.NULL,
    nonceCaller,
    encryptedSalt: new Uint8Array(),
    sessionType: TPM_SE.POLICY,
    symmetric: { algorithm: TPM_ALG.NULL },
    authHash: hashAlg,
  });
  return sessionHandle;
}
