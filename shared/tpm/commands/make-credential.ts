import { command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DIGEST, TPM2B_NAME } from "../structures/basic.js";
import { TPM2B_ENCRYPTED_SECRET, TPM2B_ID_OBJECT } from "../structures/credential.js";

/** Part 3 §12.6 TPM2_MakeCredential: the TPM-side twin of our verifier-side MakeCredential. */
export const MakeCredential = command({
  name: "TPM2_MakeCredential",
  spec: "Part 3 §12.6",
  code: TPM_CC.MakeCredential,
  handles: { handle: handle() },
  params: { credential: TPM2B_DIGEST, objectName: TPM2B_NAME },
  responseHandles: [],
  response: { credentialBlob: TPM2B_ID_OBJECT, secret: TPM2B_ENCRYPTED_SECRET },
});
