import { u16 } from "../codec/primitives.js";
import { command } from "../command.js";
import { TPM_CC } from "../constants.js";

/** Part 3 §9.3 TPM2_Startup: startupType is TPM_SU_CLEAR or TPM_SU_STATE. */
export const Startup = command({
  name: "TPM2_Startup",
  spec: "Part 3 §9.3",
  code: TPM_CC.Startup,
  handles: {},
  params: { startupType: u16 },
  responseHandles: [],
  response: {},
});
