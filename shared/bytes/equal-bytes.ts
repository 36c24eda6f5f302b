// Equality of byte strings that are public values: certificates, names, keys, public areas, the
// evidence an agent's row records. A plain comparison is right for them. Values that must not
// leak through timing (auth tags, quote digests) are compared with timingSafeEqual instead.

/**
 * Whether `a` and `b` hold the same bytes. A missing value (null or undefined) equals only the
 * same missing value, never bytes, not even none.
 */
export function equalBytes(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (a == null || b == null) return a === b;
  // A Buffer view, not Buffer.from(a), which would copy the bytes first.
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
