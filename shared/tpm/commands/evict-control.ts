import { u32 } from "../codec/primitives.js";
import { authHandle, command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";

/** Part 3 §28.5 TPM2_EvictControl: make a transient object persistent, or evict a persistent one. */
export const EvictControl = command({
  name: "TPM2_EvictControl",
  spec: "Part 3 §28.5",
  code: TPM_CC.EvictControl,
  handles: { auth: authHandle(), objectHandle: handle() },
  params: { persistentHandle: u32 },
  responseHandles: [],
  response: {},
});
