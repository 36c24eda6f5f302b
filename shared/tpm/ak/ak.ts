// Creating and loading an AK under the EK (keylime's flow). The EK is a restricted decryption
// key, so it can be a parent; each use needs the EK policy (ek-session.ts).
import { Create } from "../commands/create.js";
import { Load } from "../commands/load.js";
import type { Ek } from "../ek/create-ek.js";
import { withEkAuthorization } from "../ek/ek-session.js";
import type { TpmtPublic } from "../structures/public.js";
import type { Tpm } from "../tpm.js";
import type { Handle } from "../types.js";
import { AK_TEMPLATES, type AkAlg } from "./templates.js";

/** What to keep of an AK between runs: both blobs are safe outside the TPM (the private is wrapped). */
export interface AkBlob {
  readonly alg: AkAlg;
  /** TPM2B_PRIVATE contents, encrypted by the EK. */
  readonly private: Uint8Array;
  readonly public: TpmtPublic;
}

export interface LoadedAk {
  readonly handle: Handle;
  readonly name: Uint8Array;
  readonly public: TpmtPublic;
}

export async function createAk(tpm: Tpm, ek: Ek, alg: AkAlg, endorsementAuth?: Uint8Array): Promise<AkBlob> {
  const out = await withEkAuthorization(
    tpm,
    ek.public,
    (auth) =>
      tpm.run(
        Create,
        {
          parentHandle: ek.handle,
          inSensitive: { userAuth: new Uint8Array(), data: new Uint8Array() },
          inPublic: AK_TEMPLATES[alg],
          outsideInfo: new Uint8Array(),
          creationPCR: [],
        },
        [auth],
      ),
    endorsementAuth,
  );
  return { alg, private: out.outPrivate, public: out.outPublic };
}

/** Loads an AK under its EK; flush it with `tpm.flush(ak.handle)`. */
export async function loadAk(
  tpm: Tpm,
  ek: Ek,
  blob: AkBlob,
  endorsementAuth?: Uint8Array,
): Promise<LoadedAk> {
  const out = await withEkAuthorization(
    tpm,
    ek.public,
    (auth) =>
      tpm.run(Load, { parentHandle: ek.handle, inPrivate: blob.private, inPublic: blob.public }, [auth]),
    endorsementAuth,
  );
  return { handle: out.objectHandle, name: out.name, public: blob.public };
}

/** Runs `fn` with the AK loaded, flushing it afterwards on every path. */
export async function withAk<T>(
  tpm: Tpm,
  ek: Ek,
  blob: AkBlob,
  fn: (ak: LoadedAk) => Promise<T>,
  endorsementAuth?: Uint8Array,
): Promise<T> {
  const ak = await loadAk(tpm, ek, blob, endorsementAuth);
  return tpm.using(ak.handle, () => fn(ak));
}
