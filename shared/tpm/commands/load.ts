import { authHandle, command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_NAME } from "../structures/basic.js";
import { TPM2B_PRIVATE, TPM2B_PUBLIC } from "../structures/public.js";

/** Part 3 §12.2 TPM2_Load */
export const Load = command({
  name: "TPM2_Load",
  spec: "Part 3 §12.2",
  code: TPM_CC.Load,
  handles: { parentHandle: authHandle() },
  params: { inPrivate: TPM2B_PRIVATE, inPublic: TPM2B_PUBLIC },
  responseHandles: ["objectHandle"],
  response: { name: TPM2B_NAME },
});
