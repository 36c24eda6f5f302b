// TPMT_SIGNATURE (Part 2 §11.3.4) checked against a signing key's public area, on node:crypto:
// RSASSA-PKCS1-v1_5 and RSASSA-PSS (Part 1 Annex B.7, RFC 8017 §8) and ECDSA (Part 1
// Annex C.7, FIPS 186-4) with the hash the signature names.
import { constants, verify } from "node:crypto";
import { TpmDecodeError, unmarshal } from "../codec/codec.js";
import { TPM_ALG } from "../constants.js";
import type { EccPublic, RsaPublic, TpmtPublic } from "../structures/public.js";
import { TPMT_SIGNATURE, type TpmtSignature } from "../structures/signature.js";
import { algLabel, TpmVerifierError } from "./errors.js";
import { nodeHashName } from "./hash.js";
import { eccCurve, padCoordinate, publicAreaToKeyObject } from "./public-key.js";

export type SignatureErrorCode =
  | "SIGNATURE_MALFORMED"
  | "SIGNATURE_SCHEME_MISMATCH"
  | "SIGNATURE_HASH_UNSUPPORTED"
  | "SIGNATURE_INVALID";

/** A signature that is malformed, of the wrong kind for the key, or does not verify. */
export class SignatureError extends TpmVerifierError {
  override readonly name = "SignatureError";
  constructor(
    readonly code: SignatureErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Hashes a signature may use. SHA-1 is refused: collisions make a signed digest meaningless. */
export const SIGNATURE_HASHES: ReadonlySet<number> = new Set([
  TPM_ALG.SHA256,
  TPM_ALG.SHA384,
  TPM_ALG.SHA512,
]);

/** Decodes a marshalled TPMT_SIGNATURE (what `tpm2_quote -s` / `tpm2_sign -o` write by default). */
export function parseSignature(bytes: Uint8Array, what = "signature (TPMT_SIGNATURE)"): TpmtSignature {
  try {
    return unmarshal(TPMT_SIGNATURE, bytes);
  } catch (e) {
    if (!(e instanceof TpmDecodeError)) throw e;
    throw new SignatureError("SIGNATURE_MALFORMED", `${what} is malformed: ${e.message}`, { cause: e });
  }
}

type RsaSig = Extract<TpmtSignature, { sigAlg: typeof TPM_ALG.RSASSA | typeof TPM_ALG.RSAPSS }>;
type EcdsaSig = Extract<TpmtSignature, { sigAlg: typeof TPM_ALG.ECDSA }>;
/** A key and a signature of a kind it can make. */
type Pairing =
  | { kind: "rsa"; key: RsaPublic; sig: RsaSig }
  | { kind: "ecdsa"; key: EccPublic; sig: EcdsaSig };

const isRsaSig = (s: TpmtSignature): s is RsaSig =>
  s.sigAlg === TPM_ALG.RSASSA || s.sigAlg === TPM_ALG.RSAPSS;
const isEcdsaSig = (s: TpmtSignature): s is EcdsaSig => s.sigAlg === TPM_ALG.ECDSA;

/** Checks that the signature's scheme is one the key may produce (and a hash we accept). */
function pair(key: TpmtPublic, sig: TpmtSignature, what: string): Pairing {
  const mismatch = (why: string) => new SignatureError("SIGNATURE_SCHEME_MISMATCH", `${what}: ${why}`);
  let p: Pairing;
  if (key.type === TPM_ALG.RSA && isRsaSig(sig)) p = { kind: "rsa", key, sig };
  else if (key.type === TPM_ALG.ECC && isEcdsaSig(sig)) p = { kind: "ecdsa", key, sig };
  else if (key.type === TPM_ALG.RSA || key.type === TPM_ALG.ECC) {
    const expected = key.type === TPM_ALG.RSA ? "RSASSA (0x0014) or RSAPSS (0x0016)" : "ECDSA (0x0018)";
    throw mismatch(
      `a ${algLabel(sig.sigAlg)} signature cannot come from a ${algLabel(key.type)} key (expected ${expected})`,
    );
  } else {
    throw mismatch(`the key is of type ${algLabel(key.type)}, which cannot make signatures we verify`);
  }
  // Part 2 §12.2.3.5/§12.2.3.6: a key with a scheme signs only with that scheme and hash.
  const keyScheme: { scheme: number; hashAlg?: number } = p.key.parameters.scheme;
  if (
    keyScheme.scheme !== TPM_ALG.NULL &&
    (keyScheme.scheme !== sig.sigAlg || keyScheme.hashAlg !== p.sig.hash)
  ) {
    throw mismatch(
      `the signature is ${algLabel(sig.sigAlg)}/${algLabel(p.sig.hash)} but the key's scheme is ${algLabel(keyScheme.scheme)}/${algLabel(keyScheme.hashAlg ?? TPM_ALG.NULL)}`,
    );
  }
  if (!SIGNATURE_HASHES.has(p.sig.hash)) {
    throw new SignatureError(
      "SIGNATURE_HASH_UNSUPPORTED",
      `${what}: signature hash ${algLabel(p.sig.hash)} is not accepted (SHA-256, SHA-384 or SHA-512)`,
    );
  }
  return p;
}

function verifyEcdsa(key: EccPublic, sig: EcdsaSig, message: Uint8Array, what: string): boolean {
  const size = eccCurve(key.parameters.curveID).size;
  let rs: Uint8Array;
  try {
    rs = Buffer.concat([
      padCoordinate(sig.signatureR, size, "ECDSA r"),
      padCoordinate(sig.signatureS, size, "ECDSA s"),
    ]);
  } catch (e) {
    throw new SignatureError("SIGNATURE_MALFORMED", `${what}: ${(e as Error).message}`, { cause: e });
  }
  return verify(
    nodeHashName(sig.hash),
    message,
    { key: publicAreaToKeyObject(key), dsaEncoding: "ieee-p1363" },
    rs,
  );
}

function verifyRsa(key: RsaPublic, sig: RsaSig, message: Uint8Array, what: string): boolean {
  if (sig.sig.length !== key.parameters.keyBits / 8) {
    throw new SignatureError(
      "SIGNATURE_MALFORMED",
      `${what}: RSA signature is ${sig.sig.length} bytes, the key's modulus is ${key.parameters.keyBits / 8}`,
    );
  }
  // RSAPSS: the TPM picks the salt length (the digest size on current TPMs); accept any.
  const padding =
    sig.sigAlg === TPM_ALG.RSAPSS
      ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
      : { padding: constants.RSA_PKCS1_PADDING };
  return verify(nodeHashName(sig.hash), message, { key: publicAreaToKeyObject(key), ...padding }, sig.sig);
}

/**
 * Verifies `signature` over exactly `message` with the key in `signer` (an AK's public
 * area). Returns the hash algorithm the signature used; throws SignatureError otherwise.
 */
export function verifySignature(
  signer: TpmtPublic,
  message: Uint8Array,
  signature: TpmtSignature,
  what = "signature",
): number {
  const p = pair(signer, signature, what);
  const ok =
    p.kind === "ecdsa" ? verifyEcdsa(p.key, p.sig, message, what) : verifyRsa(p.key, p.sig, message, what);
  if (!ok) {
    throw new SignatureError(
      "SIGNATURE_INVALID",
      `${what} (${algLabel(signature.sigAlg)}/${algLabel(p.sig.hash)}) does not verify with the given key: the data was altered or another key signed it`,
    );
  }
  return p.sig.hash;
}
