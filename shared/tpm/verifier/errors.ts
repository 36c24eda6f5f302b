// The error contract of the verifier side (DESIGN §3, STYLE "Errors an operator can act on").
//
// Every function in shared/tpm/verifier either returns its result or throws a subclass of
// TpmVerifierError; none returns a failure value. Each subclass has a stable `code` for
// scripts and for the metrics' `outcome` label, and a message that says which input failed
// which check. Malformed bytes never escape as a bare TpmDecodeError: they are wrapped, with
// the decoder's error as `cause`.

import { algLabel } from "../constants.js";

export { algLabel };

/** Base class of every error the verifier throws. */
export abstract class TpmVerifierError extends Error {
  abstract readonly code: string;
}

/** The input names an algorithm (hash, curve, cipher, key type) the verifier does not implement. */
export class UnsupportedAlgorithmError extends TpmVerifierError {
  override readonly name = "UnsupportedAlgorithmError";
  readonly code = "TPM_ALG_UNSUPPORTED";
  constructor(
    /** What the algorithm was for, e.g. "EK nameAlg". */
    readonly what: string,
    readonly alg: number,
    supported: string,
  ) {
    super(`${what} ${algLabel(alg)} is not supported (supported: ${supported})`);
  }
}
