import { u8, u16 } from "../codec/primitives.js";
import { command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_NONCE } from "../structures/basic.js";
import { TPM2B_ENCRYPTED_SECRET } from "../structures/credential.js";
import { TPMT_SYM_DEF } from "../structures/public.js";

/** Part 3 §11.1 TPM2_StartAuthSession */
export const StartAuthSession = command({
  name: "TPM2_StartAuthSession",
  spec: "Part 3 §11.1",
  code: TPM_CC.StartAuthSession,
  handles: { tpmKey: handle(), bind: handle() },
  params: {
    nonceCaller: TPM2B_NONCE,
    encryptedSalt: TPM2B_ENCRYPTED_SECRET,
    sessionType: u8,
    symmetric: TPMT_SYM_DEF,
    authHash: u16,
  },
  responseHandles: ["sessionHandle"],
  response: { nonceTPM: TPM2B_NONCE },
});
