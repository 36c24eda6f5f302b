// The device side of the credential challenge (Part 1 §24): the TPM releases the credential
// only if the AK named in the blob is loaded and the EK can decrypt the seed.

import type { LoadedAk } from "./ak/ak.js";
import { password } from "./auth.js";
import { ActivateCredential } from "./commands/activate-credential.js";
import type { Ek } from "./ek/create-ek.js";
import { withEkAuthorization } from "./ek/ek-session.js";
import type { TpmsIdObject } from "./structures/credential.js";
import type { Tpm } from "./tpm.js";

export interface Challenge {
  /** TPMS_ID_OBJECT: integrityHMAC and encIdentity. */
  readonly credentialBlob: TpmsIdObject;
  /** TPM2B_ENCRYPTED_SECRET contents: the seed, encrypted to the EK. */
  readonly secret: Uint8Array;
}

/**
 * Recovers the credential. A blob made for another AK, or for another EK, fails inside the TPM
 * (TPM_RC_INTEGRITY or a decryption error), reported as a TpmResponseError.
 */
export async function activateCredential(
  tpm: Tpm,
  ek: Ek,
  ak: LoadedAk,
  challenge: Challenge,
  endorsementAuth?: Uint8Array,
): Promise<Uint8Array> {
  const { certInfo } = await withEkAuthorization(
    tpm,
    ek.public,
    (ekAuth) =>
      tpm.run(
        ActivateCredential,
        {
          activateHandle: ak.handle,
          keyHandle: ek.handle,
          credentialBlob: challenge.credentialBlob,
          secret: challenge.secret,
        },
        // The AK's ADMIN role: its auth value (adminWithPolicy is clear); the EK's USER role: policy.
        [password(), ekAuth],
      ),
    endorsementAuth,
  );
  return certInfo;
}
