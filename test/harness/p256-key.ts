// P-256 public keys for fixtures that need thousands of distinct EKs, made with createECDH:
// no KeyObject and no key-generation job. Node 20 can deadlock when a garbage collection
// during a generated KeyObject's JWK export finalizes that key's generation job (both take
// the key's mutex): a test making 20,000 keys with generateKeyPairSync + export hung in CI.
import { createECDH } from "node:crypto";

/** DER SubjectPublicKeyInfo header of an uncompressed P-256 key (RFC 5480), before the point. */
const P256_SPKI_PREFIX = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex");

export interface P256Key {
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  /** The point's coordinates, 32 bytes each (a TPMS_ECC_POINT's x and y). */
  unique: { x: Uint8Array; y: Uint8Array };
}

export function p256Key(): P256Key {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const point = ecdh.getPublicKey();
  return {
    spki: new Uint8Array(Buffer.concat([P256_SPKI_PREFIX, point])),
    unique: { x: new Uint8Array(point.subarray(1, 33)), y: new Uint8Array(point.subarray(33, 65)) },
  };
}
