// What the verifier demands of an AK and an EK public area before it trusts them (DESIGN §3,
// §6). objectAttributes are TPMA_OBJECT (Part 2 §8.3); schemes are Part 2 §11.2.
//
// An AK must be a key that only this TPM can use and that signs only what the TPM itself
// formats: fixedTPM and fixedParent (never leaves the TPM), sensitiveDataOrigin (the TPM made
// the private key), restricted + sign (signs only TPM-made data, TPM_GENERATED_VALUE first),
// not decrypt. Without these a software key could pose as an AK.
// An EK must be a restricted decryption (storage) key of the TCG EK profile: the key
// MakeCredential encrypts to, with AES-CFB as its symmetric algorithm.
import { TPM_ALG, TPMA_OBJECT } from "../constants.js";
import type { TpmtPublic } from "../structures/public.js";
import { algLabel, TpmVerifierError } from "./errors.js";
import { ECC_CURVES } from "./public-key.js";
import { SIGNATURE_HASHES } from "./signature.js";

/** nameAlg values accepted for an AK or EK: SHA-1 names are not collision-resistant. */
const NAME_ALGS: ReadonlySet<number> = new Set([TPM_ALG.SHA256, TPM_ALG.SHA384, TPM_ALG.SHA512]);
const MIN_RSA_BITS = 2048;
const AES_KEY_BITS: ReadonlySet<number> = new Set([128, 192, 256]);

/** An AK or EK public area that fails the checks; `violations` lists every failed check. */
export class KeyAttributeError extends TpmVerifierError {
  override readonly name = "KeyAttributeError";
  constructor(
    readonly code: "AK_ATTRIBUTES_INVALID" | "EK_ATTRIBUTES_INVALID",
    readonly role: "AK" | "EK",
    readonly violations: readonly string[],
  ) {
    super(`${role} public area refused (${violations.length} problem(s)): ${violations.join("; ")}`);
  }
}

type Rule = readonly [bit: number, want: boolean, name: string, why: string];

/** Both an AK and an EK must be keys that were born in this TPM and can never leave it. */
const TPM_BOUND_RULES: readonly Rule[] = [
  [TPMA_OBJECT.fixedTPM, true, "fixedTPM", "the key could be duplicated to another TPM"],
  [TPMA_OBJECT.fixedParent, true, "fixedParent", "the key could be moved to another parent"],
  [
    TPMA_OBJECT.sensitiveDataOrigin,
    true,
    "sensitiveDataOrigin",
    "the private key was supplied from outside the TPM",
  ],
];

const AK_RULES: readonly Rule[] = [
  ...TPM_BOUND_RULES,
  [TPMA_OBJECT.restricted, true, "restricted", "it would sign any data, so a forged quote could be signed"],
  [TPMA_OBJECT.sign, true, "sign", "it is not a signing key"],
  [TPMA_OBJECT.decrypt, false, "decrypt", "a signing AK must not also decrypt"],
];

const EK_RULES: readonly Rule[] = [
  ...TPM_BOUND_RULES,
  [TPMA_OBJECT.restricted, true, "restricted", "it is not a storage key"],
  [TPMA_OBJECT.decrypt, true, "decrypt", "it cannot decrypt a credential"],
  [TPMA_OBJECT.sign, false, "sign", "an EK must not be a signing key"],
];

function attributeViolations(attrs: number, rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const [bit, want, name, why] of rules) {
    if (Boolean(attrs & bit) !== want) out.push(`${name} is ${want ? "clear" : "set"}: ${why}`);
  }
  return out;
}

/** Checks common to both roles: key type, size and nameAlg. */
function keyViolations(pub: TpmtPublic): string[] {
  const out: string[] = [];
  if (!NAME_ALGS.has(pub.nameAlg))
    out.push(`nameAlg is ${algLabel(pub.nameAlg)}; SHA-256, SHA-384 or SHA-512 is required`);
  if (pub.type === TPM_ALG.RSA) {
    if (pub.parameters.keyBits < MIN_RSA_BITS)
      out.push(`RSA key is ${pub.parameters.keyBits} bits; at least ${MIN_RSA_BITS} is required`);
  } else if (pub.type === TPM_ALG.ECC) {
    if (!ECC_CURVES[pub.parameters.curveID]) {
      out.push(`ECC curve ${algLabel(pub.parameters.curveID)} is not NIST P-256, P-384 or P-521`);
    }
  } else {
    out.push(`key type is ${algLabel(pub.type)}; an RSA or ECC key is required`);
  }
  return out;
}

/** Every reason `pub` is not acceptable as an AK (empty when it is). */
export function akPublicViolations(pub: TpmtPublic): string[] {
  const out = [...keyViolations(pub), ...attributeViolations(pub.objectAttributes, AK_RULES)];
  if (pub.type === TPM_ALG.RSA || pub.type === TPM_ALG.ECC) {
    const scheme: { scheme: number; hashAlg?: number } = pub.parameters.scheme;
    const allowed = pub.type === TPM_ALG.RSA ? [TPM_ALG.RSASSA, TPM_ALG.RSAPSS] : [TPM_ALG.ECDSA];
    if (!(allowed as number[]).includes(scheme.scheme)) {
      out.push(
        `signing scheme is ${algLabel(scheme.scheme)}; ${allowed.map(algLabel).join(" or ")} is required`,
      );
    } else if (!SIGNATURE_HASHES.has(scheme.hashAlg ?? TPM_ALG.NULL)) {
      out.push(
        `signing scheme hash is ${algLabel(scheme.hashAlg ?? TPM_ALG.NULL)}; SHA-256, SHA-384 or SHA-512 is required`,
      );
    }
  }
  return out;
}

/** Every reason `pub` is not acceptable as an EK (empty when it is). */
export function ekPublicViolations(pub: TpmtPublic): string[] {
  const out = [...keyViolations(pub), ...attributeViolations(pub.objectAttributes, EK_RULES)];
  if (pub.type === TPM_ALG.RSA || pub.type === TPM_ALG.ECC) {
    const sym = pub.parameters.symmetric;
    if (sym.algorithm !== TPM_ALG.AES || !("mode" in sym)) {
      out.push(`symmetric algorithm is ${algLabel(sym.algorithm)}; a storage key needs AES in CFB mode`);
    } else if (sym.mode !== TPM_ALG.CFB || !AES_KEY_BITS.has(sym.keyBits)) {
      out.push(
        `symmetric algorithm is AES-${sym.keyBits} mode ${algLabel(sym.mode)}; AES-128/192/256 in CFB mode is required`,
      );
    }
    // Part 2 §12.2.3.5/§12.2.3.6: a restricted decryption key has no scheme of its own.
    if (pub.parameters.scheme.scheme !== TPM_ALG.NULL) {
      out.push(`scheme is ${algLabel(pub.parameters.scheme.scheme)}; a storage key has scheme NULL`);
    }
  }
  return out;
}

/** Throws KeyAttributeError (code AK_ATTRIBUTES_INVALID) listing every violation. */
export function checkAkPublic(pub: TpmtPublic): void {
  const v = akPublicViolations(pub);
  if (v.length > 0) throw new KeyAttributeError("AK_ATTRIBUTES_INVALID", "AK", v);
}

/** Throws KeyAttributeError (code EK_ATTRIBUTES_INVALID) listing every violation. */
export function checkEkPublic(pub: TpmtPublic): void {
  const v = ekPublicViolations(pub);
  if (v.length > 0) throw new KeyAttributeError("EK_ATTRIBUTES_INVALID", "EK", v);
}
