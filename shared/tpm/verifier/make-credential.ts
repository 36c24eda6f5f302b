// The verifier's half of credential activation: TPM2_MakeCredential done in software,
// TPM 2.0 Part 1 §24 "Credential Protection" (and Part 3 §12.6 for the checks), DESIGN §3.
//
//   seed        RSA EK: |nameAlg digest| random bytes, sent as RSA-OAEP(EK, hash = nameAlg,
//               label "IDENTITY\0") (Part 1 Annex B.10, RSA secret sharing);
//               ECC EK: Z = x of d_e·Q_EK for an ephemeral key d_e on the EK's curve, and
//               seed = KDFe(nameAlg, Z, "IDENTITY", Q_e.x, Q_EK.x, digest bits), sent as the
//               marshalled TPMS_ECC_POINT Q_e (Part 1 Annex C.6, ECC secret sharing)
//   symKey      KDFa(nameAlg, seed, "STORAGE", AK name, empty, EK symmetric keyBits)  (§24.4)
//   encIdentity AES-CFB(symKey, IV = 0, marshalled TPM2B_DIGEST credential)            (§24.4)
//   hmacKey     KDFa(nameAlg, seed, "INTEGRITY", empty, empty, digest bits)          (§24.5)
//   outerHMAC   HMAC_nameAlg(hmacKey, encIdentity ‖ AK name)                           (§24.5)
// credentialBlob = TPMS_ID_OBJECT { integrityHMAC = outerHMAC, encIdentity }.
import { constants, createCipheriv, createECDH, publicEncrypt, randomBytes } from "node:crypto";
import { marshal } from "../codec/codec.js";
import { TPM_ALG, TPMA_OBJECT } from "../constants.js";
import { TPM2B_DIGEST } from "../structures/basic.js";
import type { TpmsIdObject } from "../structures/credential.js";
import { type EccPublic, type RsaPublic, TPMS_ECC_POINT, type TpmtPublic } from "../structures/public.js";
import { algLabel, TpmVerifierError } from "./errors.js";
import { digestSize, hmac, nodeHashName } from "./hash.js";
import { kdfa, kdfe } from "./kdf.js";
import { NameError, parseName } from "./name.js";
import { eccCurve, publicAreaToKeyObject } from "./public-key.js";

export type MakeCredentialErrorCode =
  | "MAKECREDENTIAL_EK_UNSUITABLE"
  | "MAKECREDENTIAL_AK_NAME_MALFORMED"
  | "MAKECREDENTIAL_CREDENTIAL_SIZE";

/** An input MakeCredential cannot use: an EK that is not a storage key, a bad AK name, a credential too long. */
export class MakeCredentialError extends TpmVerifierError {
  override readonly name = "MakeCredentialError";
  constructor(
    readonly code: MakeCredentialErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface MakeCredentialInput {
  /** The EK's public area (e.g. parsePublicArea(ek_tpm)). */
  ekPublic: TpmtPublic;
  /** The AK's Name (nameAlg ‖ digest), as computed by objectName(akPublic). */
  akName: Uint8Array;
  /** The secret to protect: 1 to |EK nameAlg digest| bytes. */
  credential: Uint8Array;
}

/** The same two values TPM2_MakeCredential returns (Part 3 §12.6). */
export interface MakeCredentialOutput {
  /** TPM2B_ID_OBJECT contents: marshal with TPM2B_ID_OBJECT to get its bytes. */
  credentialBlob: TpmsIdObject;
  /** TPM2B_ENCRYPTED_SECRET contents: the OAEP ciphertext (RSA) or a marshalled TPMS_ECC_POINT (ECC). */
  secret: Uint8Array;
}

const AES_KEY_BITS = new Set([128, 192, 256]);

/** Checks that the EK can receive a credential; returns it narrowed, and its AES key size in bits. */
function storageKey(ek: TpmtPublic): { key: RsaPublic | EccPublic; symBits: number } {
  const unsuitable = (why: string) =>
    new MakeCredentialError("MAKECREDENTIAL_EK_UNSUITABLE", `cannot make a credential for this EK: ${why}`);
  if (ek.type !== TPM_ALG.RSA && ek.type !== TPM_ALG.ECC) {
    throw unsuitable(`its type is ${algLabel(ek.type)}, not RSA or ECC`);
  }
  const a = ek.objectAttributes;
  if (!(a & TPMA_OBJECT.restricted) || !(a & TPMA_OBJECT.decrypt) || a & TPMA_OBJECT.sign) {
    throw unsuitable(
      `it is not a storage key (needs restricted=1 decrypt=1 sign=0; objectAttributes 0x${a.toString(16).padStart(8, "0")})`,
    );
  }
  const sym = ek.parameters.symmetric;
  if (sym.algorithm !== TPM_ALG.AES) {
    throw unsuitable(`its symmetric algorithm is ${algLabel(sym.algorithm)}, only AES-CFB is supported`);
  }
  if (!("mode" in sym) || sym.mode !== TPM_ALG.CFB || !AES_KEY_BITS.has(sym.keyBits)) {
    const detail = "mode" in sym ? `AES-${sym.keyBits} mode ${algLabel(sym.mode)}` : "no mode";
    throw unsuitable(`its symmetric definition is ${detail}; AES-128/192/256 in CFB mode is required`);
  }
  return { key: ek, symBits: sym.keyBits };
}

/** RSA EK: a random seed, encrypted with OAEP (Part 1 Annex B.10, label "IDENTITY\0"). */
function rsaSeed(ek: RsaPublic): { seed: Uint8Array; secret: Uint8Array } {
  const seed = new Uint8Array(randomBytes(digestSize(ek.nameAlg, "EK nameAlg")));
  const secret = publicEncrypt(
    {
      key: publicAreaToKeyObject(ek),
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: nodeHashName(ek.nameAlg, "EK nameAlg"),
      oaepLabel: Buffer.from("IDENTITY\0", "ascii"),
    },
    seed,
  );
  return { seed, secret: new Uint8Array(secret) };
}

/** OpenSSL's names of the curves, for createECDH. */
const ECDH_CURVES: Readonly<Record<string, string>> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

/**
 * ECC EK: one-pass ECDH with an ephemeral key, seed from KDFe (Part 1 Annex C.6). The
 * ephemeral key is an ECDH object, not a generated KeyObject: Node 20 can deadlock when a
 * garbage collection during a generated key's JWK export finalizes that key's generation job
 * (both take the key's mutex); seen in this project's tests, and it would hang the registrar.
 */
function eccSeed(ek: EccPublic): { seed: Uint8Array; secret: Uint8Array } {
  const curve = eccCurve(ek.parameters.curveID);
  publicAreaToKeyObject(ek); // refuses a point that is not on the curve, with a PublicKeyError
  const ecdh = createECDH(ECDH_CURVES[curve.jwk]!);
  ecdh.generateKeys();
  const pad = (b: Uint8Array) => Buffer.concat([Buffer.alloc(Math.max(0, curve.size - b.length)), b]);
  const ekPoint = Buffer.concat([Buffer.of(0x04), pad(ek.unique.x), pad(ek.unique.y)]);
  const z = new Uint8Array(ecdh.computeSecret(ekPoint));
  const ephemeral = ecdh.getPublicKey(); // 04 ‖ X ‖ Y, each the curve's size
  const unique = {
    x: new Uint8Array(ephemeral.subarray(1, 1 + curve.size)),
    y: new Uint8Array(ephemeral.subarray(1 + curve.size)),
  };
  const bits = digestSize(ek.nameAlg, "EK nameAlg") * 8;
  const seed = kdfe(ek.nameAlg, z, "IDENTITY", unique.x, ek.unique.x, bits);
  return { seed, secret: marshal(TPMS_ECC_POINT, unique) };
}

/**
 * TPM2_MakeCredential in software: protects `credential` so that only the TPM holding the EK's
 * private key, and only for the key named `akName` loaded in that TPM, can recover it with
 * TPM2_ActivateCredential. Throws MakeCredentialError, UnsupportedAlgorithmError or
 * PublicKeyError for inputs it cannot use.
 */
export function makeCredential({ ekPublic, akName, credential }: MakeCredentialInput): MakeCredentialOutput {
  const { key: ek, symBits } = storageKey(ekPublic);
  const size = digestSize(ekPublic.nameAlg, "EK nameAlg");
  try {
    parseName(akName, "AK name");
  } catch (e) {
    if (!(e instanceof NameError)) throw e;
    throw new MakeCredentialError("MAKECREDENTIAL_AK_NAME_MALFORMED", e.message, { cause: e });
  }
  if (!(credential instanceof Uint8Array) || credential.length === 0 || credential.length > size) {
    throw new MakeCredentialError(
      "MAKECREDENTIAL_CREDENTIAL_SIZE",
      `credential must be 1..${size} bytes (the digest size of the EK's nameAlg ${algLabel(ekPublic.nameAlg)}), got ${credential?.length}`,
    );
  }

  const { seed, secret } = ek.type === TPM_ALG.RSA ? rsaSeed(ek) : eccSeed(ek);

  // §24.4: the credential travels as a marshalled TPM2B_DIGEST, size prefix included.
  const symKey = kdfa(ekPublic.nameAlg, seed, "STORAGE", akName, new Uint8Array(0), symBits);
  const cipher = createCipheriv(`aes-${symBits}-cfb`, symKey, Buffer.alloc(16));
  const encIdentity = new Uint8Array(
    Buffer.concat([cipher.update(marshal(TPM2B_DIGEST, credential)), cipher.final()]),
  );

  // §24.5: the outer HMAC binds the ciphertext to the AK's Name.
  const hmacKey = kdfa(ekPublic.nameAlg, seed, "INTEGRITY", new Uint8Array(0), new Uint8Array(0), size * 8);
  const integrityHMAC = hmac(ekPublic.nameAlg, hmacKey, encIdentity, akName);

  return { credentialBlob: { integrityHMAC, encIdentity }, secret };
}
