// COSE_Sign1 signing with libsodium Ed25519 (RFC 9052 §4.2, DESIGN §5 "Signatures").
//
// The signing side only: verification lives in cose-verify.ts (node:crypto, no libsodium).
// We write alg EdDSA (-8) and kid in the protected header and an empty unprotected map.

import sodium from "libsodium-wrappers";
import { CborTag, type CborValue, encodeCbor } from "./cbor.js";
import { ALG_EDDSA, COSE_SIGN1_TAG, HEADER_ALG, HEADER_KID, kidOf, sigStructure } from "./cose-verify.js";

/** An Ed25519 key pair as libsodium holds it: 32-byte public key, 64-byte secret key (seed ‖ public). */
export interface SodiumEd25519KeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** Signs one payload; made by sign1Signer. */
export type Sign1Signer = (payload: Uint8Array) => Uint8Array;

/** Returns a synchronous COSE_Sign1 signer for the key pair (waits for libsodium once). */
export async function sign1Signer(keyPair: SodiumEd25519KeyPair): Promise<Sign1Signer> {
  await sodium.ready;
  if (keyPair.publicKey.length !== 32 || keyPair.secretKey.length !== 64)
    throw new TypeError("an Ed25519 key pair is a 32-byte public key and a 64-byte libsodium secret key");
  const protectedBytes = encodeCbor(
    new Map<number, CborValue>([
      [HEADER_ALG, ALG_EDDSA],
      [HEADER_KID, kidOf(keyPair.publicKey)],
    ]),
  );
  const { secretKey } = keyPair;
  return (payload) => {
    const signature = sodium.crypto_sign_detached(sigStructure(protectedBytes, payload), secretKey);
    return encodeCbor(new CborTag(COSE_SIGN1_TAG, [protectedBytes, {}, payload, signature]));
  };
}

/** Signs `payload` (already-encoded CBOR) into a COSE_Sign1. */
export async function signSign1(payload: Uint8Array, keyPair: SodiumEd25519KeyPair): Promise<Uint8Array> {
  return (await sign1Signer(keyPair))(payload);
}
