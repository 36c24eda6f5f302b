import { u32, yesNo } from "../codec/primitives.js";
import { command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPMS_CAPABILITY_DATA } from "../structures/capability.js";

/** Part 3 §30.2 TPM2_GetCapability */
export const GetCapability = command({
  name: "TPM2_GetCapability",
  spec: "Part 3 §30.2",
  code: TPM_CC.GetCapability,
  handles: {},
  params: { capability: u32, property: u32, propertyCount: u32 },
  responseHandles: [],
  response: { moreData: yesNo, capabilityData: TPMS_CAPABILITY_DATA },
});
