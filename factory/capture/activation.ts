// The credential activation round trip with the station as verifier (DESIGN §8): an AK is made
// under the EK, the station encrypts a random secret to the EK's public key bound to the AK's
// name (computed here from the AK public, not taken from the TPM), and the TPM must give it
// back. This proves the TPM holds the private half of the EK it reported.
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  activateCredential,
  createAk,
  type Ek,
  type Tpm,
  TpmTransportError,
  withAk,
} from "../../shared/tpm/index.js";
import { checkAkPublic, makeCredential, objectName } from "../../shared/tpm/verifier/index.js";
import { CaptureError, messageOf } from "./errors.js";

/** Throws CaptureError CAPTURE_ACTIVATION_FAILED when the TPM does not return the secret. */
export async function activationRoundTrip(tpm: Tpm, ek: Ek, what: string): Promise<void> {
  const failed = (why: string, cause?: unknown) => {
    // A lost connection is not the TPM failing the challenge: let the caller report it as such.
    if (cause instanceof TpmTransportError) return cause;
    return new CaptureError(
      "CAPTURE_ACTIVATION_FAILED",
      `credential activation with ${what} failed: ${why}. The TPM cannot prove it holds this EK's private key; set the board aside`,
      { cause },
    );
  };
  let blob: Awaited<ReturnType<typeof createAk>>;
  try {
    blob = await createAk(tpm, ek, "rsa");
    checkAkPublic(blob.public);
  } catch (e) {
    throw failed(`the TPM could not make an attestation key under the EK (${messageOf(e)})`, e);
  }
  const credential = new Uint8Array(randomBytes(32));
  let challenge: ReturnType<typeof makeCredential>;
  try {
    challenge = makeCredential({ ekPublic: ek.public, akName: objectName(blob.public), credential });
  } catch (e) {
    throw failed(`the station could not encrypt a challenge to this EK (${messageOf(e)})`, e);
  }
  let returned: Uint8Array;
  try {
    returned = await withAk(tpm, ek, blob, (ak) => activateCredential(tpm, ek, ak, challenge));
  } catch (e) {
    throw failed(`the TPM refused the challenge (${messageOf(e)})`, e);
  }
  if (returned.length !== credential.length || !timingSafeEqual(returned, credential)) {
    throw failed("the TPM returned a different secret than the one the station sent");
  }
}
