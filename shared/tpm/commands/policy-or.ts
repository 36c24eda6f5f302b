import { command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPML_DIGEST } from "../structures/pcr.js";

/** Part 3 §23.6 TPM2_PolicyOR: 2 to 8 branch digests. */
export const PolicyOR = command({
  name: "TPM2_PolicyOR",
  spec: "Part 3 §23.6",
  code: TPM_CC.PolicyOR,
  handles: { policySession: handle() },
  params: { pHashList: TPML_DIGEST },
  responseHandles: [],
  response: {},
});
