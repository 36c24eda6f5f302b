import { authHandle, command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DATA, TPM2B_DIGEST, TPM2B_NAME, TPMT_TK_CREATION } from "../structures/basic.js";
import { TPML_PCR_SELECTION } from "../structures/pcr.js";
import { TPM2B_CREATION_DATA, TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE } from "../structures/public.js";

/** Part 3 §24.1 TPM2_CreatePrimary: a primary key from a hierarchy's seed and a template. */
export const CreatePrimary = command({
  name: "TPM2_CreatePrimary",
  spec: "Part 3 §24.1",
  code: TPM_CC.CreatePrimary,
  handles: { primaryHandle: authHandle() },
  params: {
    inSensitive: TPM2B_SENSITIVE_CREATE,
    inPublic: TPM2B_PUBLIC,
    outsideInfo: TPM2B_DATA,
    creationPCR: TPML_PCR_SELECTION,
  },
  responseHandles: ["objectHandle"],
  response: {
    outPublic: TPM2B_PUBLIC,
    creationData: TPM2B_CREATION_DATA,
    creationHash: TPM2B_DIGEST,
    creationTicket: TPMT_TK_CREATION,
    name: TPM2B_NAME,
  },
});
