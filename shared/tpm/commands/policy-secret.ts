import { struct, tpm2b, u16, u32 } from "../codec/primitives.js";
import { authHandle, command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DIGEST, TPM2B_NONCE } from "../structures/basic.js";

/** Part 3 §23.4 TPM2_PolicySecret: proves knowledge of authHandle's auth value to a policy session. */
export const PolicySecret = command({
  name: "TPM2_PolicySecret",
  spec: "Part 3 §23.4",
  code: TPM_CC.PolicySecret,
  handles: { authHandle: authHandle(), policySession: handle() },
  params: {
    nonceTPM: TPM2B_NONCE,
    cpHashA: TPM2B_DIGEST,
    policyRef: TPM2B_NONCE,
    /** INT32 on the wire; 0 means no expiry and no ticket. */
    expiration: u32,
  },
  responseHandles: [],
  response: {
    timeout: tpm2b("TPM2B_TIMEOUT", 8),
    policyTicket: struct("TPMT_TK_AUTH", { tag: u16, hierarchy: u32, digest: TPM2B_DIGEST }),
  },
});
