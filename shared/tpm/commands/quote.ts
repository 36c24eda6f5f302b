import { authHandle, command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_ATTEST } from "../structures/attest.js";
import { TPM2B_DATA } from "../structures/basic.js";
import { TPML_PCR_SELECTION } from "../structures/pcr.js";
import { TPMT_SIG_SCHEME, TPMT_SIGNATURE } from "../structures/signature.js";

/** Part 3 §18.4 TPM2_Quote: `quoted` stays bytes, because the signature covers exactly them. */
export const Quote = command({
  name: "TPM2_Quote",
  spec: "Part 3 §18.4",
  code: TPM_CC.Quote,
  handles: { signHandle: authHandle() },
  params: { qualifyingData: TPM2B_DATA, inScheme: TPMT_SIG_SCHEME, PCRselect: TPML_PCR_SELECTION },
  responseHandles: [],
  response: { quoted: TPM2B_ATTEST, signature: TPMT_SIGNATURE },
});
