// What was read from DER before, by the exact bytes it was read from. A bulk import reads
// thousands of EK certificates from a few CAs and TPM models, whose Names and most extensions
// repeat byte for byte; reading each distinct element once saves its walk and its objects.
//
// Keyed by an FNV-1a hash of the bytes. Each entry keeps its own copy of them (the caller's
// buffer may change later), and a hit is compared with it byte for byte, so a hash collision
// (or hostile input) only misses. Callers keep only what read without error, and values that
// are never changed once made: a hit hands the same value to every caller. Bounded: when full,
// it starts again empty.

/** FNV-1a over bytes[start, end). */
function hashRange(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h;
}

function sameRange(der: Uint8Array, bytes: Uint8Array, start: number, end: number): boolean {
  if (der.length !== end - start) return false;
  for (let i = 0; i < der.length; i++) if (der[i] !== bytes[start + i]) return false;
  return true;
}

export class ReadBefore<V> {
  readonly #entries = new Map<number, { der: Uint8Array; value: V }>();

  constructor(readonly maxEntries: number) {}

  /** The value kept for exactly the bytes bytes[start, end), if any. */
  get(bytes: Uint8Array, start: number, end: number): V | undefined {
    const entry = this.#entries.get(hashRange(bytes, start, end));
    return entry !== undefined && sameRange(entry.der, bytes, start, end) ? entry.value : undefined;
  }

  /** Keeps `value` for the bytes bytes[start, end), with a copy of them. */
  set(bytes: Uint8Array, start: number, end: number, value: V): void {
    if (this.#entries.size >= this.maxEntries) this.#entries.clear();
    // A copy (not slice(), a view on a Node Buffer).
    this.#entries.set(hashRange(bytes, start, end), {
      der: new Uint8Array(bytes.subarray(start, end)),
      value,
    });
  }
}
