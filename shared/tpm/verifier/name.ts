// Names of TPM entities, Part 1 §16 "Names": for an object or an NV index the Name is
//   nameAlg (u16) ‖ H_nameAlg(marshalled public area)
// i.e. a marshalled TPMT_HA (Part 2 §10.3.2) over TPMT_PUBLIC (§12.2.4) or TPMS_NV_PUBLIC (§13.5).
import { type Infer, marshal, TpmDecodeError, unmarshal } from "../codec/codec.js";
import { TPM_ALG } from "../constants.js";
import { TPMT_HA } from "../structures/basic.js";
import { TPMS_NV_PUBLIC, type TpmsNvPublic } from "../structures/nv.js";
import { TPMT_PUBLIC, type TpmtPublic } from "../structures/public.js";
import { TpmVerifierError } from "./errors.js";
import { digestSize, hash, isSupportedHash } from "./hash.js";

/** A Name that is not `hashAlg ‖ digest` of a supported hash with the right digest size. */
export class NameError extends TpmVerifierError {
  override readonly name = "NameError";
  readonly code = "TPM_NAME_MALFORMED";
}

type TpmtHa = Infer<typeof TPMT_HA>;
type Digest = { hashAlg: number; digest: Uint8Array };

function nameOf(nameAlg: number, marshalled: Uint8Array, what: string): Uint8Array {
  digestSize(nameAlg, `nameAlg of ${what}`);
  const digest = hash(nameAlg, marshalled);
  try {
    return marshal(TPMT_HA, { hashAlg: nameAlg, digest } as TpmtHa);
  } catch (e) {
    throw new NameError(`cannot form the Name of ${what}: ${(e as Error).message}`, { cause: e });
  }
}

/** Part 1 §16: Name of an object = nameAlg ‖ H_nameAlg(TPMT_PUBLIC). */
export function objectName(pub: TpmtPublic): Uint8Array {
  return nameOf(pub.nameAlg, marshal(TPMT_PUBLIC, pub), "the object");
}

/** Part 1 §16: Name of an NV index = nameAlg ‖ H_nameAlg(TPMS_NV_PUBLIC). */
export function nvIndexName(nvPublic: TpmsNvPublic): Uint8Array {
  return nameOf(
    nvPublic.nameAlg,
    marshal(TPMS_NV_PUBLIC, nvPublic),
    `NV index 0x${nvPublic.nvIndex.toString(16).padStart(8, "0")}`,
  );
}

/**
 * Splits and checks a digest Name (an object's or NV index's, not a handle): a supported
 * hashAlg followed by exactly one digest of that hash. `what` names the input in messages.
 */
export function parseName(name: Uint8Array, what = "Name"): Digest {
  let v: TpmtHa;
  try {
    v = unmarshal(TPMT_HA, name);
  } catch (e) {
    if (!(e instanceof TpmDecodeError)) throw e;
    throw new NameError(
      `${what} (${name.length} bytes) is not nameAlg ‖ digest of SHA-1/256/384/512: ${e.message}`,
      { cause: e },
    );
  }
  if (v.hashAlg === TPM_ALG.NULL || !isSupportedHash(v.hashAlg) || !("digest" in v)) {
    throw new NameError(`${what} has no digest (nameAlg NULL): it names a handle, not a key`);
  }
  return { hashAlg: v.hashAlg, digest: v.digest };
}
