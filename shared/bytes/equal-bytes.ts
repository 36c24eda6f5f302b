// Equality of the byte strings the registration rules compare: public areas, certificates and
// the evidence an agent's row records. They are public values, so a plain comparison is right
// (secrets, such as auth tags, are compared in constant time in auth-tag.ts).

/** Whether `a` and `b` hold the same bytes (two nulls are equal; null and bytes are not). */
export function equalBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  // A Buffer view, not Buffer.from(a), which would copy the bytes first.
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
