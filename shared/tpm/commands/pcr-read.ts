import { u32 } from "../codec/primitives.js";
import { command } from "../command.js";
import { TPM_CC } from "../constants.js";
import { TPML_DIGEST, TPML_PCR_SELECTION } from "../structures/pcr.js";

/** Part 3 §22.4 TPM2_PCR_Read: returns at most 8 digests; the rest needs another call. */
export const PCR_Read = command({
  name: "TPM2_PCR_Read",
  spec: "Part 3 §22.4",
  code: TPM_CC.PCR_Read,
  handles: {},
  params: { pcrSelectionIn: TPML_PCR_SELECTION },
  responseHandles: [],
  response: { pcrUpdateCounter: u32, pcrSelectionOut: TPML_PCR_SELECTION, pcrValues: TPML_DIGEST },
});
