// Part 2 §10.6 and §10.9: PCR selections and digest lists.
import type { Codec } from "../codec/codec.js";
import { list, struct, u16 } from "../codec/primitives.js";
import { TPM2B_DIGEST } from "./basic.js";

/**
 * §10.6.2 TPMS_PCR_SELECTION: a bitmap of PCRs per bank, u8 size first. PCR_SELECT_MAX is 3 on
 * PC TPMs (24 PCRs); up to 32 bytes is accepted so an unusual TPM decodes rather than crashes.
 */
const pcrSelect: Codec<Uint8Array> = {
  name: "pcrSelect",
  encode(w, v) {
    if (!(v instanceof Uint8Array)) w.fail("expected bytes (Uint8Array)");
    if (v.length > 32) w.fail(`${v.length} bytes exceed the maximum of 32`);
    w.u8(v.length);
    w.bytes(v);
  },
  decode(r) {
    const n = r.u8();
    if (n > 32) r.fail(`sizeofSelect ${n} exceeds the maximum of 32`);
    return r.bytes(n);
  },
};
export const TPMS_PCR_SELECTION = struct("TPMS_PCR_SELECTION", { hash: u16, pcrSelect });

/** §10.9.7 TPML_PCR_SELECTION: HASH_COUNT banks at most. */
export const TPML_PCR_SELECTION = list("TPML_PCR_SELECTION", TPMS_PCR_SELECTION, 16);

/** §10.9.3 TPML_DIGEST: PCR_Read returns at most 8 digests per call. */
export const TPML_DIGEST = list("TPML_DIGEST", TPM2B_DIGEST, 8);
