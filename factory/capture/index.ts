// The TPM side of a factory capture (DESIGN §8): read one TPM, check it on the spot, and return
// the manifest's `tpm` and `eks` fields (DESIGN §5). Signing and writing the manifest are the
// caller's.
export { captureEvidence } from "./capture.js";
export { CaptureError, type CaptureErrorCode } from "./errors.js";
export type { CapturedEk, CapturedTpm, CapturedTpmInfo, CaptureOptions } from "./types.js";
