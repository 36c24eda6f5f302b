// Authorizations for the handles of a command that need them (Part 1 §19). We use two kinds:
// the password session TPM_RS_PW (plain auth value), and unbound, unsalted policy sessions whose
// policy is satisfied by PolicySecret/PolicyOR. Neither needs an HMAC: a policy session without
// PolicyAuthValue carries an empty hmac (Part 1 §19.6.14).
import type { AuthEntry } from "./command.js";
import { TPMA_SESSION } from "./constants.js";
import type { Handle } from "./types.js";

/** Part 2 §7.4 TPM_RS_PW: the password "session". */
const TPM_RS_PW = 0x40000009;

export type Authorization =
  | { readonly kind: "password"; readonly value: Uint8Array }
  | { readonly kind: "policy"; readonly session: Handle };

const EMPTY = new Uint8Array(0);

/** A password authorization; the empty password is the default for most objects and hierarchies. */
export const password = (value: Uint8Array = EMPTY): Authorization => ({ kind: "password", value });
/** Authorize with a policy session that has already been satisfied. */
export const policy = (session: Handle): Authorization => ({ kind: "policy", session });

/** The TPMS_AUTH_COMMAND for an authorization. Sessions are kept open: their owner flushes them. */
export function authEntry(auth: Authorization): AuthEntry {
  if (auth.kind === "password") {
    return {
      sessionHandle: TPM_RS_PW,
      nonce: EMPTY,
      sessionAttributes: TPMA_SESSION.continueSession,
      hmac: auth.value,
    };
  }
  return {
    sessionHandle: auth.session,
    nonce: EMPTY,
    sessionAttributes: TPMA_SESSION.continueSession,
    hmac: EMPTY,
  };
}
