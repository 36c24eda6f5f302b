import { command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DIGEST } from "../structures/basic.js";

/** Part 3 §23.19 TPM2_PolicyGetDigest */
export const PolicyGetDigest = command({
  name: "TPM2_PolicyGetDigest",
  spec: "Part 3 §23.19",
  code: TPM_CC.PolicyGetDigest,
  handles: { policySession: handle() },
  params: {},
  responseHandles: [],
  response: { policyDigest: TPM2B_DIGEST },
});
