// The second half of credential activation on the device (TPM 2.0 Part 1 §24, keylime's
// registration): the registrar's blob goes into TPM2_ActivateCredential with the AK and the EK
// loaded, and the TPM releases the challenge only if the blob was made for exactly this AK's
// name and this EK. The EK and AK are flushed afterwards on every path.

import type { EkTemplateName } from "../../shared/tpm/ek/templates.js";
import {
  type AkBlob,
  activateCredential,
  type Tpm,
  TpmResponseError,
  withAk,
} from "../../shared/tpm/index.js";
import { decodeCredentialBlob } from "../../shared/tpm/verifier/credential-blob.js";
import type { MakeCredentialOutput } from "../../shared/tpm/verifier/make-credential.js";
import type { AgentConfig } from "../config/config.js";
import { messageOf } from "../errors.js";
import { withSameEk } from "./identity.js";

/** Decodes the blob: 0xBADCC0DE ‖ u32 1 ‖ TPM2B_ID_OBJECT ‖ TPM2B_ENCRYPTED_SECRET (DESIGN §6). */
export function parseBlob(
  bytes: Uint8Array,
  onError: (message: string, cause: unknown) => Error,
): MakeCredentialOutput {
  try {
    return decodeCredentialBlob(bytes, "the credential blob");
  } catch (e) {
    throw onError(messageOf(e), e);
  }
}

export interface ActivationInput {
  ekTemplate: EkTemplateName;
  ekPubSha256: string;
  ak: AkBlob;
  challenge: MakeCredentialOutput;
}

/**
 * Runs ActivateCredential. The TPM's refusal of the blob itself (TPM_RC_INTEGRITY: made for
 * another AK or EK, or altered; a bad size or value) goes to `onRefusedBlob`, so the caller can
 * blame the blob's author; TPM warnings (TPM_RC_LOCKOUT, TPM_RC_RETRY…) stay TPM errors.
 */
export async function activate(
  tpm: Tpm,
  config: AgentConfig,
  input: ActivationInput,
  onRefusedBlob: (message: string, cause: unknown) => Error,
): Promise<Uint8Array> {
  return withSameEk(tpm, config, input.ekTemplate, input.ekPubSha256, (ek) =>
    withAk(
      tpm,
      ek,
      input.ak,
      async (loaded) => {
        try {
          return await activateCredential(tpm, ek, loaded, input.challenge, config.endorsementAuth);
        } catch (e) {
          if (e instanceof TpmResponseError && e.command === "TPM2_ActivateCredential" && !e.decoded.warning)
            throw onRefusedBlob(
              `the TPM could not activate the credential (${e.code}): it was made for another AK or EK, or it was altered`,
              e,
            );
          throw e;
        }
      },
      config.endorsementAuth,
    ),
  );
}
