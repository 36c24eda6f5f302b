// Part 2 §10.8–§10.10: what TPM2_GetCapability returns.
import type { Infer } from "../codec/codec.js";
import { list, struct, u16, u32, variant } from "../codec/primitives.js";
import { TPM_CAP } from "../constants.js";
import { TPML_PCR_SELECTION } from "./pcr.js";

/** §10.8.1 TPMS_ALG_PROPERTY and §10.8.2 TPMS_TAGGED_PROPERTY */
export const TPMS_ALG_PROPERTY = struct("TPMS_ALG_PROPERTY", { alg: u16, algProperties: u32 });
export const TPMS_TAGGED_PROPERTY = struct("TPMS_TAGGED_PROPERTY", { property: u32, value: u32 });

/**
 * §10.10.2 TPMS_CAPABILITY_DATA. List bounds are MAX_CAP_* for a 4 KiB response buffer:
 * a TPM cannot honestly send more in one answer.
 */
export const TPMS_CAPABILITY_DATA = variant("TPMS_CAPABILITY_DATA", "capability", u32, [
  [TPM_CAP.ALGS, struct("TPML_ALG_PROPERTY", { data: list("TPML_ALG_PROPERTY", TPMS_ALG_PROPERTY, 1024) })],
  [TPM_CAP.HANDLES, struct("TPML_HANDLE", { data: list("TPML_HANDLE", u32, 1024) })],
  [TPM_CAP.COMMANDS, struct("TPML_CCA", { data: list("TPML_CCA", u32, 1024) })],
  [TPM_CAP.PCRS, struct("TPML_PCR_SELECTION", { data: TPML_PCR_SELECTION })],
  [
    TPM_CAP.TPM_PROPERTIES,
    struct("TPML_TAGGED_TPM_PROPERTY", {
      data: list("TPML_TAGGED_TPM_PROPERTY", TPMS_TAGGED_PROPERTY, 1024),
    }),
  ],
  [TPM_CAP.ECC_CURVES, struct("TPML_ECC_CURVE", { data: list("TPML_ECC_CURVE", u16, 1024) })],
]);
export type TpmsCapabilityData = Infer<typeof TPMS_CAPABILITY_DATA>;
