// Certificate signatures (RFC 5280 §4.1.1.3) over the TBS bytes exactly as encoded, with
// node:crypto: RSA PKCS#1 v1.5 (RFC 8017 §8.2), RSASSA-PSS with its parameters (RFC 4055 §3.1,
// defaults SHA-1 / MGF1-SHA-1 / salt 20) and ECDSA (RFC 5758 §3.2, DER-encoded signatures).
// SHA-1 is accepted: real TPM CA hierarchies (Infineon's RSA intermediates) are signed with it,
// and whether to trust that is the verifier's policy, not the parser's.
import { constants, createHash, type KeyObject, publicDecrypt, timingSafeEqual, verify } from "node:crypto";
import {
  children,
  contentStart,
  describeTag,
  expectUniversal,
  isContext,
  isUniversal,
  onlyChild,
  readNull,
  readOid,
  readSmallInteger,
  readTlv,
  TAG,
  type Tlv,
} from "./der.js";
import { DerError, toParseError, UnsupportedAlgorithmError } from "./errors.js";
import { describeOid, OID } from "./oid.js";
import type { Certificate } from "./types.js";

export type HashName = "sha1" | "sha256" | "sha384" | "sha512";

export type SignatureScheme =
  | { readonly kind: "rsa-pkcs1"; readonly hash: HashName }
  | {
      readonly kind: "rsa-pss";
      readonly hash: HashName;
      readonly mgf1Hash: HashName;
      readonly saltLength: number;
    }
  | { readonly kind: "ecdsa"; readonly hash: HashName };

const SIMPLE: Readonly<Record<string, SignatureScheme>> = {
  [OID.sha1WithRSAEncryption]: { kind: "rsa-pkcs1", hash: "sha1" },
  [OID.sha256WithRSAEncryption]: { kind: "rsa-pkcs1", hash: "sha256" },
  [OID.sha384WithRSAEncryption]: { kind: "rsa-pkcs1", hash: "sha384" },
  [OID.sha512WithRSAEncryption]: { kind: "rsa-pkcs1", hash: "sha512" },
  [OID.ecdsaWithSha1]: { kind: "ecdsa", hash: "sha1" },
  [OID.ecdsaWithSha256]: { kind: "ecdsa", hash: "sha256" },
  [OID.ecdsaWithSha384]: { kind: "ecdsa", hash: "sha384" },
  [OID.ecdsaWithSha512]: { kind: "ecdsa", hash: "sha512" },
};

const HASHES: Readonly<Record<string, HashName>> = {
  [OID.sha1]: "sha1",
  [OID.sha256]: "sha256",
  [OID.sha384]: "sha384",
  [OID.sha512]: "sha512",
};

const SUPPORTED =
  "sha1/sha256/sha384/sha512WithRSAEncryption, RSASSA-PSS, ecdsa-with-SHA1/SHA256/SHA384/SHA512";

function unsupported(oid: string, what = "signature algorithm"): UnsupportedAlgorithmError {
  return new UnsupportedAlgorithmError(
    what,
    oid,
    `${what} ${describeOid(oid)} is not supported (supported: ${SUPPORTED})`,
  );
}

/** A hash AlgorithmIdentifier: the OID, with NULL or absent parameters. */
function readHash(bytes: Uint8Array, t: Tlv): HashName {
  expectUniversal(t, TAG.SEQUENCE, "hash AlgorithmIdentifier");
  const oidTlv = readTlv(bytes, contentStart(t), t.end);
  const oid = readOid(bytes, oidTlv);
  if (oidTlv.end !== t.end) {
    const p = readTlv(bytes, oidTlv.end, t.end);
    readNull(bytes, p);
    if (p.end !== t.end) throw new DerError("unexpected data after the hash parameters", p.end);
  }
  const hash = HASHES[oid];
  if (!hash) throw unsupported(oid, "RSASSA-PSS hash");
  return hash;
}

/** RSASSA-PSS-params (RFC 4055 §3.1); every field is optional and explicitly tagged. */
function readPssParams(bytes: Uint8Array): SignatureScheme {
  let hash: HashName = "sha1";
  let mgf1Hash: HashName = "sha1";
  let saltLength = 20;
  const seq = expectUniversal(readTlv(bytes, 0), TAG.SEQUENCE, "RSASSA-PSS-params");
  if (seq.end !== bytes.length) throw new DerError("unexpected data after RSASSA-PSS-params", seq.end);
  let last = -1;
  for (const field of children(bytes, seq)) {
    if (field.cls !== "context" || field.tag > 3 || field.tag <= last) {
      throw new DerError(`unexpected ${describeTag(field)} in RSASSA-PSS-params`, field.start);
    }
    last = field.tag;
    const inner = onlyChild(bytes, field);
    if (isContext(field, 0)) hash = readHash(bytes, inner);
    else if (isContext(field, 1)) {
      expectUniversal(inner, TAG.SEQUENCE, "maskGenAlgorithm");
      const [mgfOid, mgfParams, extra] = children(bytes, inner);
      if (!mgfOid || !mgfParams || extra)
        throw new DerError("maskGenAlgorithm needs an OID and a hash", inner.start);
      const oid = readOid(bytes, mgfOid);
      if (oid !== OID.mgf1) throw unsupported(oid, "RSASSA-PSS mask generation function");
      mgf1Hash = readHash(bytes, mgfParams);
    } else if (isContext(field, 2)) saltLength = readSmallInteger(bytes, inner, 1024);
    else {
      const trailer = readSmallInteger(bytes, inner, 255);
      if (trailer !== 1)
        throw new DerError(`RSASSA-PSS trailerField ${trailer} (only 1 is defined)`, inner.start);
    }
  }
  return { kind: "rsa-pss", hash, mgf1Hash, saltLength };
}

/**
 * What a signature AlgorithmIdentifier asks for. Throws UnsupportedAlgorithmError (naming the
 * OID) for algorithms we do not implement, EkCertParseError for malformed parameters.
 */
export function signatureScheme(alg: {
  readonly oid: string;
  readonly params?: Uint8Array;
}): SignatureScheme {
  const simple = SIMPLE[alg.oid];
  try {
    if (simple) {
      // PKCS#1 v1.5 takes NULL parameters (RFC 4055 §5), ECDSA none (RFC 5758 §3.2); either form is read.
      if (alg.params && alg.params.length > 0) {
        const p = readTlv(alg.params, 0);
        if (!isUniversal(p, TAG.NULL) || p.length !== 0 || p.end !== alg.params.length) {
          throw new DerError(`${describeOid(alg.oid)} with parameters other than NULL`, 0);
        }
      }
      return simple;
    }
    if (alg.oid === OID.rsassaPss) {
      // Absent parameters mean "all defaults" here, though RFC 4055 wants them present.
      return alg.params && alg.params.length > 0
        ? readPssParams(alg.params)
        : readPssParams(Uint8Array.of(0x30, 0));
    }
  } catch (e) {
    throw toParseError(`signature algorithm ${describeOid(alg.oid)}`, e);
  }
  throw unsupported(alg.oid);
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(hash: HashName, seed: Uint8Array, length: number): Buffer {
  const out: Buffer[] = [];
  let n = 0;
  for (let counter = 0; n < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    n += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * EMSA-PSS-VERIFY (RFC 8017 §9.1.2) on the raw RSA result, for what node's verify cannot
 * express: an MGF1 hash other than the message hash.
 */
function verifyPssRaw(
  scheme: Extract<SignatureScheme, { kind: "rsa-pss" }>,
  data: Uint8Array,
  sig: Uint8Array,
  key: KeyObject,
): boolean {
  const modBits = key.asymmetricKeyDetails?.modulusLength;
  if (!modBits) return false;
  const k = Math.ceil(modBits / 8);
  if (sig.length !== k) return false;
  let m: Buffer;
  try {
    m = publicDecrypt({ key, padding: constants.RSA_NO_PADDING }, sig);
  } catch {
    return false; // the signature is not below the modulus
  }
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (m.length < emLen) m = Buffer.concat([Buffer.alloc(emLen - m.length), m]);
  if (m.length > emLen) {
    if (m.subarray(0, m.length - emLen).some((b) => b !== 0)) return false;
    m = m.subarray(m.length - emLen);
  }
  const mHash = createHash(scheme.hash).update(data).digest();
  const hLen = mHash.length;
  const sLen = scheme.saltLength;
  if (emLen < hLen + sLen + 2 || m[emLen - 1] !== 0xbc) return false;
  const maskedDb = m.subarray(0, emLen - hLen - 1);
  const h = m.subarray(emLen - hLen - 1, emLen - 1);
  const zeroBits = 8 * emLen - emBits;
  const topMask = (0xff << (8 - zeroBits)) & 0xff;
  if (((maskedDb[0] as number) & topMask) !== 0) return false;
  const db = mgf1(scheme.mgf1Hash, h, maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (maskedDb[i] as number);
  db[0] = (db[0] as number) & (0xff >> zeroBits);
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  const h2 = createHash(scheme.hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return timingSafeEqual(h, h2);
}

/**
 * Checks `signature` over `data` under `key` with the given algorithm. False when the signature
 * does not verify or the key is of the wrong kind for the algorithm (it cannot be the signer);
 * throws for an unsupported or malformed algorithm.
 */
export function verifySignature(
  alg: { readonly oid: string; readonly params?: Uint8Array },
  data: Uint8Array,
  signature: Uint8Array,
  key: KeyObject,
): boolean {
  const scheme = signatureScheme(alg);
  const keyType = key.asymmetricKeyType;
  try {
    switch (scheme.kind) {
      case "rsa-pkcs1":
        if (keyType !== "rsa") return false;
        return verify(scheme.hash, data, key, signature);
      case "ecdsa":
        if (keyType !== "ec") return false;
        return verify(scheme.hash, data, { key, dsaEncoding: "der" }, signature);
      case "rsa-pss":
        if (keyType !== "rsa" && keyType !== "rsa-pss") return false;
        if (scheme.mgf1Hash !== scheme.hash) return verifyPssRaw(scheme, data, signature, key);
        return verify(
          scheme.hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
          signature,
        );
    }
  } catch {
    // OpenSSL refuses some malformed signatures (an ECDSA signature that is not DER, an RSA
    // signature longer than the modulus) with an error instead of "no": they do not verify.
    return false;
  }
}

/** True when `issuerKey` signed `cert` (its TBS bytes as encoded). See verifySignature. */
export function verifyCertificateSignature(cert: Certificate, issuerKey: KeyObject): boolean {
  return verifySignature(cert.signatureAlgorithm, cert.tbs, cert.signature, issuerKey);
}
