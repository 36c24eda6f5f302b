import { command, handle } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPM2B_NAME } from "../structures/basic.js";
import { TPM2B_PUBLIC } from "../structures/public.js";

/** Part 3 §12.4 TPM2_ReadPublic */
export const ReadPublic = command({
  name: "TPM2_ReadPublic",
  spec: "Part 3 §12.4",
  code: TPM_CC.ReadPublic,
  handles: { objectHandle: handle() },
  params: {},
  responseHandles: [],
  response: { outPublic: TPM2B_PUBLIC, name: TPM2B_NAME, qualifiedName: TPM2B_NAME },
});
