import { command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_NAME } from "../structures/basic.js";
import { TPM2B_NV_PUBLIC } from "../structures/nv.js";

/** Part 3 §31.6 TPM2_NV_ReadPublic */
export const NV_ReadPublic = command({
  name: "TPM2_NV_ReadPublic",
  spec: "Part 3 §31.6",
  code: TPM_CC.NV_ReadPublic,
  handles: { nvIndex: handle() },
  params: {},
  responseHandles: [],
  response: { nvPublic: TPM2B_NV_PUBLIC, nvName: TPM2B_NAME },
});
