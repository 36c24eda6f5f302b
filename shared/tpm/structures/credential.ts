// Part 2 §10.6.x and §11.4: what MakeCredential produces and ActivateCredential consumes.
import type { Infer } from "../codec/codec.js";
import { rest, sized, struct, tpm2b } from "../codec/primitives.js";
import { TPM2B_DIGEST } from "./basic.js";

/**
 * §11.4.10 TPMS_ID_OBJECT. `encIdentity` is the AES-CFB encryption of a marshalled
 * TPM2B_DIGEST (size prefix included), so on the wire it has no size of its own: it runs to
 * the end of the enclosing TPM2B_ID_OBJECT (Part 1 §24.4).
 */
export const TPMS_ID_OBJECT = struct("TPMS_ID_OBJECT", {
  integrityHMAC: TPM2B_DIGEST,
  encIdentity: rest("encIdentity", 66),
});
export type TpmsIdObject = Infer<typeof TPMS_ID_OBJECT>;

/** §11.4.11 TPM2B_ID_OBJECT */
export const TPM2B_ID_OBJECT = sized("TPM2B_ID_OBJECT", TPMS_ID_OBJECT);

/**
 * §11.4.33 TPM2B_ENCRYPTED_SECRET: an RSA-OAEP ciphertext (up to 512 bytes) or a marshalled
 * TPMS_ECC_POINT (ephemeral key), depending on the EK's type.
 */
export const TPM2B_ENCRYPTED_SECRET = tpm2b("TPM2B_ENCRYPTED_SECRET", 512);
