// Part 2 §13: NV index public area.
import type { Infer } from "../codec/codec.js";
import { sized, struct, u16, u32 } from "../codec/primitives.js";
import { TPM2B_DIGEST } from "./basic.js";

/** §13.5 TPMS_NV_PUBLIC */
export const TPMS_NV_PUBLIC = struct("TPMS_NV_PUBLIC", {
  nvIndex: u32,
  nameAlg: u16,
  /** TPMA_NV bits. */
  attributes: u32,
  authPolicy: TPM2B_DIGEST,
  dataSize: u16,
});
export type TpmsNvPublic = Infer<typeof TPMS_NV_PUBLIC>;

/** §13.6 TPM2B_NV_PUBLIC */
export const TPM2B_NV_PUBLIC = sized("TPM2B_NV_PUBLIC", TPMS_NV_PUBLIC);
