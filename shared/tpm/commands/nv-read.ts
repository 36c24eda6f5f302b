import { u16 } from "../codec/primitives.js";
import { authHandle, command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_MAX_NV_BUFFER } from "../structures/basic.js";

/** Part 3 §31.13 TPM2_NV_Read: at most TPM_PT_NV_BUFFER_MAX bytes per call. */
export const NV_Read = command({
  name: "TPM2_NV_Read",
  spec: "Part 3 §31.13",
  code: TPM_CC.NV_Read,
  handles: { authHandle: authHandle(), nvIndex: handle() },
  params: { size: u16, offset: u16 },
  responseHandles: [],
  response: { data: TPM2B_MAX_NV_BUFFER },
});
