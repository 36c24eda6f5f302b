import { u32 } from "../codec/primitives.js";
import { command } from "../command.js";
import { TPM_CC } from "../constants.js";

/** Part 3 §28.4 TPM2_FlushContext: the handle to flush is a parameter, not a handle slot. */
export const FlushContext = command({
  name: "TPM2_FlushContext",
  spec: "Part 3 §28.4",
  code: TPM_CC.FlushContext,
  handles: {},
  params: { flushHandle: u32 },
  responseHandles: [],
  response: {},
});
