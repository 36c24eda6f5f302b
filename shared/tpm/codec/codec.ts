// The codec core: one definition of a structure both encodes and decodes it.
// TPM 2.0 Part 1 §18 / Part 2 §5: every integer is big-endian, every sized buffer (TPM2B)
// carries a u16 length, and unions are selected by an earlier field.

/** Thrown for any input that does not decode: truncated, oversized, unknown selector, trailing bytes. */
export class TpmDecodeError extends Error {
  override readonly name = "TpmDecodeError";
  readonly code = "TPM_DECODE";
  constructor(
    /** Dotted path of the field that failed, e.g. "TPM2B_PUBLIC.publicArea.unique". */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Thrown when a value cannot be encoded (wrong type, too long for its size field). */
export class TpmEncodeError extends Error {
  override readonly name = "TpmEncodeError";
  readonly code = "TPM_ENCODE";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/**
 * Reads big-endian fields from a byte range; never reads past `end`.
 *
 * `path` names the fields being decoded, for error messages. `field` pushes a field's name,
 * decodes it and pops the name, without try/finally or a closure per field (decoding is on the
 * bulk-import path): a failure throws out of the whole decode, and the path at the throw is the
 * one its message names.
 */
export class Reader {
  private pos: number;
  private readonly view: DataView;
  readonly path: string[];

  /** `parent`: the reader a sub-reader shares its view of the buffer and its path with. */
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
    parent?: Reader,
  ) {
    this.pos = start;
    this.view = parent?.view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.path = parent?.path ?? [];
  }

  get offset(): number {
    return this.pos;
  }
  get remaining(): number {
    return this.end - this.pos;
  }

  fail(message: string): never {
    throw new TpmDecodeError(this.path.join(".") || "(top)", message);
  }

  private need(n: number): number {
    if (n > this.remaining)
      this.fail(`needs ${n} more byte(s) at offset ${this.pos}, only ${this.remaining} left`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.need(1));
  }
  u16(): number {
    return this.view.getUint16(this.need(2));
  }
  u32(): number {
    return this.view.getUint32(this.need(4));
  }
  u64(): bigint {
    return this.view.getBigUint64(this.need(8));
  }
  /** A copy of the next n bytes, so decoded values never alias the input buffer. */
  bytes(n: number): Uint8Array {
    const at = this.need(n);
    // Not buf.slice(): on a Node Buffer that is a view, and the caller may reuse its buffer.
    return new Uint8Array(this.buf.subarray(at, at + n));
  }

  /** A reader over the next n bytes only, for size-prefixed structures (same path). */
  sub(n: number): Reader {
    const at = this.need(n);
    return new Reader(this.buf, at, at + n, this);
  }

  /** Decodes one field with `name` on the error path: no closure, no try/finally (see above). */
  field<T>(name: string, codec: { decode(r: Reader): T }): T {
    this.path.push(name);
    const value = codec.decode(this);
    this.path.pop();
    return value;
  }

  /** Runs `fn` with `name` pushed on the error path. */
  within<T>(name: string, fn: () => T): T {
    this.path.push(name);
    try {
      return fn();
    } finally {
      this.path.pop();
    }
  }
}

/** Appends big-endian fields to a growing buffer. */
export class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  readonly path: string[] = [];

  get length(): number {
    return this.len;
  }

  fail(message: string): never {
    throw new TpmEncodeError(this.path.join(".") || "(top)", message);
  }

  private grow(n: number): number {
    if (this.len + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  private checkInt(v: number, max: number): void {
    if (!Number.isInteger(v) || v < 0 || v > max) this.fail(`${v} is not an integer in 0..${max}`);
  }

  u8(v: number): void {
    this.checkInt(v, 0xff);
    const at = this.grow(1);
    this.view.setUint8(at, v);
  }
  u16(v: number): void {
    this.checkInt(v, 0xffff);
    const at = this.grow(2);
    this.view.setUint16(at, v);
  }
  u32(v: number): void {
    this.checkInt(v, 0xffffffff);
    const at = this.grow(4);
    this.view.setUint32(at, v);
  }
  u64(v: bigint): void {
    if (typeof v !== "bigint" || v < 0n || v > 0xffffffffffffffffn) this.fail(`${String(v)} is not a u64`);
    const at = this.grow(8);
    this.view.setBigUint64(at, v);
  }
  bytes(v: Uint8Array): void {
    if (!(v instanceof Uint8Array)) this.fail("expected bytes (Uint8Array)");
    const at = this.grow(v.length); // grow first: it may replace this.buf
    this.buf.set(v, at);
  }

  /** Reserves a u16 size field, runs `fn`, then fills in the size of what it wrote. */
  sized16(fn: () => void): void {
    const at = this.grow(2);
    const start = this.len;
    fn();
    const size = this.len - start;
    if (size > 0xffff) this.fail(`size ${size} does not fit a u16 size field`);
    this.view.setUint16(at, size);
  }

  within(name: string, fn: () => void): void {
    this.path.push(name);
    try {
      fn();
    } finally {
      this.path.pop();
    }
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One definition of a wire structure: the same object encodes and decodes. */
export interface Codec<T> {
  /** The specification's name for the structure, used in error messages. */
  readonly name: string;
  encode(w: Writer, value: T): void;
  decode(r: Reader): T;
}

/** The TypeScript value type a codec encodes and decodes. */
export type Infer<C> = C extends Codec<infer T> ? T : never;

/** Encodes one value to bytes. */
export function marshal<T>(codec: Codec<T>, value: T): Uint8Array {
  const w = new Writer();
  w.within(codec.name, () => codec.encode(w, value));
  return w.finish();
}

/**
 * Decodes bytes that must hold exactly one value: trailing bytes are an error, since a
 * structure that does not account for every byte is not the structure we think it is.
 */
export function unmarshal<T>(codec: Codec<T>, bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) throw new TpmDecodeError(codec.name, "expected bytes (Uint8Array)");
  const r = new Reader(bytes);
  const value = r.within(codec.name, () => codec.decode(r));
  if (r.remaining !== 0) {
    throw new TpmDecodeError(codec.name, `${r.remaining} unexpected trailing byte(s) after the structure`);
  }
  return value;
}

/** Decodes one value from the front of `bytes` and says how many bytes it used. */
export function unmarshalPrefix<T>(codec: Codec<T>, bytes: Uint8Array): { value: T; length: number } {
  const r = new Reader(bytes);
  const value = r.within(codec.name, () => codec.decode(r));
  return { value, length: r.offset };
}
