import { authHandle, command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DATA, TPM2B_DIGEST, TPMT_TK_CREATION } from "../structures/basic.js";
import { TPML_PCR_SELECTION } from "../structures/pcr.js";
import {
  TPM2B_CREATION_DATA,
  TPM2B_PRIVATE,
  TPM2B_PUBLIC,
  TPM2B_SENSITIVE_CREATE,
} from "../structures/public.js";

/** Part 3 §12.1 TPM2_Create: an ordinary key under a loaded parent. */
export const Create = command({
  name: "TPM2_Create",
  spec: "Part 3 §12.1",
  code: TPM_CC.Create,
  handles: { parentHandle: authHandle() },
  params: {
    inSensitive: TPM2B_SENSITIVE_CREATE,
    inPublic: TPM2B_PUBLIC,
    outsideInfo: TPM2B_DATA,
    creationPCR: TPML_PCR_SELECTION,
  },
  responseHandles: [],
  response: {
    outPrivate: TPM2B_PRIVATE,
    outPublic: TPM2B_PUBLIC,
    creationData: TPM2B_CREATION_DATA,
    creationHash: TPM2B_DIGEST,
    creationTicket: TPMT_TK_CREATION,
  },
});
