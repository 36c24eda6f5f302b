import { authHandle, command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DIGEST } from "../structures/basic.js";
import { TPM2B_ENCRYPTED_SECRET, TPM2B_ID_OBJECT } from "../structures/credential.js";

/**
 * Part 3 §12.5 TPM2_ActivateCredential: activateHandle (the AK) needs the ADMIN role,
 * keyHandle (the EK) the USER role, which for an EK means its policy.
 */
export const ActivateCredential = command({
  name: "TPM2_ActivateCredential",
  spec: "Part 3 §12.5",
  code: TPM_CC.ActivateCredential,
  handles: { activateHandle: authHandle(), keyHandle: authHandle() },
  params: { credentialBlob: TPM2B_ID_OBJECT, secret: TPM2B_ENCRYPTED_SECRET },
  responseHandles: [],
  response: { certInfo: TPM2B_DIGEST },
});
