import { u16 } from "../codec/primitives.js";
import { command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_DIGEST } from "../structures/basic.js";

/** Part 3 §16.1 TPM2_GetRandom: at most one digest's worth of bytes per call. */
export const GetRandom = command({
  name: "TPM2_GetRandom",
  spec: "Part 3 §16.1",
  code: TPM_CC.GetRandom,
  handles: {},
  params: { bytesRequested: u16 },
  responseHandles: [],
  response: { randomBytes: TPM2B_DIGEST },
});
