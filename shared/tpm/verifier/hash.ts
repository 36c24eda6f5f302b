// The hash algorithms the verifier computes with, by TPM_ALG_ID (Part 2 §6.3), on node:crypto.
import { createHash, createHmac } from "node:crypto";
import { HASH_ALGS } from "../constants.js";
import { UnsupportedAlgorithmError } from "./errors.js";

const SUPPORTED = "SHA-1, SHA-256, SHA-384, SHA-512";

function lookup(alg: number, what: string): { node: string; size: number } {
  const h = HASH_ALGS[alg];
  if (!h) throw new UnsupportedAlgorithmError(what, alg, SUPPORTED);
  return h;
}

/** True when `alg` is a hash this module can compute. */
export const isSupportedHash = (alg: number): boolean => HASH_ALGS[alg] !== undefined;

/** node:crypto's name for a TPM hash algorithm; throws UnsupportedAlgorithmError otherwise. */
export const nodeHashName = (alg: number, what = "hash algorithm"): string => lookup(alg, what).node;

/** Digest size in bytes of a TPM hash algorithm; throws UnsupportedAlgorithmError otherwise. */
export const digestSize = (alg: number, what = "hash algorithm"): number => lookup(alg, what).size;

/** H_alg(parts[0] ‖ parts[1] ‖ …). */
export function hash(alg: number, ...parts: Uint8Array[]): Uint8Array {
  const h = createHash(lookup(alg, "hash algorithm").node);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** HMAC_alg(key, parts[0] ‖ parts[1] ‖ …). */
export function hmac(alg: number, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac(lookup(alg, "HMAC hash algorithm").node, key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}
