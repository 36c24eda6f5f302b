// The device side of a quote (Part 3 §18.4): the AK signs the selected PCRs' digest and the
// verifier's nonce.

import type { LoadedAk } from "./ak/ak.js";
import { password } from "./auth.js";
import { Quote } from "./commands/quote.js";
import { TPM_ALG } from "./constants.js";
import type { PcrSelection } from "./pcr.js";
import type { TpmtSignature } from "./structures/signature.js";
import type { Tpm } from "./tpm.js";

export interface QuoteResult {
  /** TPM2B_ATTEST contents: a marshalled TPMS_ATTEST, exactly the signed bytes. */
  readonly quoted: Uint8Array;
  readonly signature: TpmtSignature;
}

/** Quotes with the AK's own scheme (inScheme TPM_ALG_NULL). */
export async function quote(
  tpm: Tpm,
  ak: LoadedAk,
  nonce: Uint8Array,
  selection: readonly PcrSelection[],
): Promise<QuoteResult> {
  const out = await tpm.run(
    Quote,
    {
      signHandle: ak.handle,
      qualifyingData: nonce,
      inScheme: { scheme: TPM_ALG.NULL },
      PCRselect: [...selection],
    },
    [password()],
  );
  return { quoted: out.quoted, signature: out.signature };
}
