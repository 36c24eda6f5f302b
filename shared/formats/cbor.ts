// The strict CBOR profile of DESIGN §5.
//
// Encoding: deterministic (RFC 8949 §4.2.1). Values are first put in canonical shape here (map
// keys sorted by their encoded bytes, integers beyond 32 bits as bigints so cbor-x writes them
// as integers, not floats), then written by cbor-x with records, typed-array tags and Map tags
// off, and the result is checked by the strict decoder below before it is returned.
//
// Decoding: cbor-x's decoder interprets dozens of tags and accepts duplicate keys, indefinite
// lengths and unbounded sizes, so it is not used. Our own decoder reads the bytes once, within
// the limits, and refuses anything outside the profile with a named CborError.
//
// Profile: integers within ±(2^53 − 1), byte strings (Uint8Array), UTF-8 text, arrays, maps
// with text or integer keys, false/true/null, and tags the caller names. No floats, no
// `undefined`, no other simple values. Maps whose keys are all text decode to plain objects
// (null prototype); maps with an integer key decode to `Map`.

import { Encoder, Tag } from "cbor-x";
import {
  CborDuplicateKeyError,
  CborEncodeError,
  CborError,
  CborLimitError,
  CborMalformedError,
  CborNotDeterministicError,
  CborProfileError,
  CborUnknownTagError,
  FormatVersionError,
} from "./errors.js";

/** A tagged item, e.g. `new CborTag(18, [...])` for a COSE_Sign1. */
export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

/** A text-keyed map. */
export interface CborObject {
  [key: string]: CborValue;
}

/** A map with integer (or mixed) keys, as COSE headers use. */
export type CborMap = Map<number | string, CborValue>;

export type CborValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | CborValue[]
  | CborObject
  | CborMap
  | CborTag;

export interface DecodeOptions {
  /** Tags that may appear (e.g. [18] for COSE_Sign1); any other tag is refused. Default none. */
  allowTags?: readonly number[];
  /** Largest encoded item, in bytes. Default 16 MiB. */
  maxBytes?: number;
  /** Deepest nesting of arrays, maps and tags. Default 32. */
  maxDepth?: number;
  /** Most data items (every array element, map key and value counts). Default 1,048,576. */
  maxItems?: number;
  /**
   * Byte strings are views into the input instead of copies. Only for input the caller owns
   * and never changes; it saves one allocation per byte string (a bundle header's 100,000
   * digests are 100,000 small buffers otherwise). Default false. readSequence ignores it: its
   * items' byte strings are always views of the item's own `bytes` (a copy of the stream's).
   */
  byteStringViews?: boolean;
}

export const DEFAULT_LIMITS = { maxBytes: 16 * 1024 * 1024, maxDepth: 32, maxItems: 1 << 20 } as const;

// ---------------------------------------------------------------------------------------------
// Decoding

/** Internal: the input ended inside an item that needs at least `need` bytes in all. */
class NeedMore {
  constructor(readonly need: number) {}
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A copy of `view` in memory of its own. Not `view.slice()`: on a Node Buffer (a file's or a
 * socket's chunk) that is another view of the same memory, which its owner may reuse.
 */
const copyOf = (view: Uint8Array): Uint8Array => new Uint8Array(view);

/** Short ASCII strings seen before (map keys, templates, algorithm names), by hash of their bytes. */
const SHORT_TEXT = new Map<number, string>();
const SHORT_TEXT_MAX_LENGTH = 24;
const SHORT_TEXT_MAX_ENTRIES = 4096;

/**
 * The value of the text string in `buf[start, end)`. Nearly all text in our formats is short
 * ASCII: map keys, serials, names. Map keys and most short values repeat from one manifest to
 * the next, so short ASCII text is looked up by a hash of its bytes and the string made the
 * first time is reused (no allocation; a bounded cache, compared byte by byte, so colliding or
 * hostile input only misses). Other ASCII is made with one call; anything else goes to the
 * strict decoder, which throws on invalid UTF-8.
 */
function decodeText(buf: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > 64) return utf8.decode(buf.subarray(start, end));
  let hash = length;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80) return utf8.decode(buf.subarray(start, end));
    hash = (Math.imul(hash, 31) + b) | 0;
  }
  if (length > SHORT_TEXT_MAX_LENGTH) return ascii(buf, start, end);
  const seen = SHORT_TEXT.get(hash);
  if (seen !== undefined && seen.length === length && sameAscii(seen, buf, start)) return seen;
  const text = ascii(buf, start, end);
  if (seen === undefined && SHORT_TEXT.size < SHORT_TEXT_MAX_ENTRIES) SHORT_TEXT.set(hash, text);
  return text;
}

/** ASCII bytes as a string, made in one call (at most 64: well within the argument limit). */
const ascii = (buf: Uint8Array, start: number, end: number): string =>
  String.fromCharCode.apply(null, buf.subarray(start, end) as unknown as number[]);

function sameAscii(text: string, buf: Uint8Array, start: number): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

const NO_TAGS: readonly number[] = [];

class Reader {
  pos: number;
  items = 0;
  /** The caller's list as it is: a Set per decode (three per manifest) cost more than it saved. */
  private readonly allowTags: readonly number[] | "any";
  private readonly maxBytes: number;
  private readonly maxDepth: number;
  private readonly maxItems: number;
  private readonly views: boolean;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    options: DecodeOptions,
    anyTag = false,
  ) {
    this.pos = start;
    this.allowTags = anyTag ? "any" : (options.allowTags ?? NO_TAGS);
    this.maxBytes = options.maxBytes ?? DEFAULT_LIMITS.maxBytes;
    this.maxDepth = options.maxDepth ?? DEFAULT_LIMITS.maxDepth;
    this.maxItems = options.maxItems ?? DEFAULT_LIMITS.maxItems;
    this.views = options.byteStringViews ?? false;
  }

  /** Reads one item starting at `pos`; `itemStart` is where the top-level item began. */
  item(itemStart: number, depth: number): CborValue {
    if (++this.items > this.maxItems)
      throw new CborLimitError(`more than ${this.maxItems} data items`, this.pos);
    const at = this.pos;
    const ib = this.byte(itemStart);
    const major = ib >> 5;
    const info = ib & 0x1f;
    if (info === 31) {
      if (major === 7) throw new CborMalformedError("unexpected break byte", at);
      if (major >= 2 && major <= 5)
        throw new CborNotDeterministicError("indefinite-length item (only definite lengths are allowed)", at);
      throw new CborMalformedError(`reserved additional information 31 for major type ${major}`, at);
    }
    if (major === 7) return this.simple(info, at, itemStart);
    const arg = this.argument(info, at, itemStart, major);
    switch (major) {
      case 0:
        return arg;
      case 1:
        return -1 - arg;
      case 2: {
        const bytes = this.take(arg, itemStart, at);
        return this.views ? bytes : copyOf(bytes);
      }
      case 3:
        try {
          this.room(arg, itemStart, at);
          const start = this.pos;
          this.pos += arg;
          return decodeText(this.buf, start, this.pos);
        } catch (e) {
          if (e instanceof NeedMore || e instanceof CborLimitError) throw e;
          throw new CborMalformedError("text string is not valid UTF-8", at);
        }
      case 4: {
        this.enter(depth, at);
        this.room(arg, itemStart, at);
        const out: CborValue[] = [];
        for (let i = 0; i < arg; i++) out.push(this.item(itemStart, depth + 1));
        return out;
      }
      case 5:
        this.enter(depth, at);
        this.room(2 * arg, itemStart, at);
        return this.map(arg, itemStart, depth);
      default: {
        // major 6: a tag
        if (this.allowTags !== "any" && !this.allowTags.includes(arg)) throw new CborUnknownTagError(arg, at);
        this.enter(depth, at);
        return new CborTag(arg, this.item(itemStart, depth + 1));
      }
    }
  }

  private map(count: number, itemStart: number, depth: number): CborObject | CborMap {
    // Heads are shortest and text is strict UTF-8, so two keys are equal exactly when their
    // encodings are, and exactly when their values are (the object holds text keys only, the
    // Map keeps the number 1 and the text "1" apart). Text keys go straight into the object;
    // the first integer key moves what was read into a Map.
    //
    // The object starts as a plain {} and loses its prototype once complete: filled through
    // Object.create(null), it would be a dictionary from the start (twice the cost of a
    // manifest's maps). Meanwhile only own properties count (hasOwn), and a "__proto__" key
    // is defined as a property, not set (which would change the prototype).
    let obj: CborObject | undefined = {};
    let map: CborMap | undefined;
    for (let i = 0; i < count; i++) {
      const keyAt = this.pos;
      const key = this.item(itemStart, depth + 1);
      if (typeof key !== "string" && typeof key !== "number")
        throw new CborProfileError("map key is neither text nor an integer", keyAt);
      if (obj !== undefined && typeof key === "string") {
        if (Object.hasOwn(obj, key))
          throw new CborDuplicateKeyError(`map has key ${JSON.stringify(key)} twice`, keyAt);
        const value = this.item(itemStart, depth + 1);
        if (key === "__proto__")
          Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
        else obj[key] = value;
        continue;
      }
      if (obj !== undefined) {
        map = new Map(Object.entries(obj));
        obj = undefined;
      }
      const m = map as CborMap;
      if (m.has(key)) throw new CborDuplicateKeyError(`map has key ${JSON.stringify(key)} twice`, keyAt);
      m.set(key, this.item(itemStart, depth + 1));
    }
    return obj !== undefined ? (Object.setPrototypeOf(obj, null) as CborObject) : (map as CborMap);
  }

  private simple(info: number, at: number, itemStart: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        throw new CborProfileError("undefined is not part of this CBOR profile", at);
      case 24:
        this.byte(itemStart);
        throw new CborProfileError("simple values other than false, true and null are not allowed", at);
      case 25:
      case 26:
      case 27:
        throw new CborProfileError("floating-point numbers are not part of this CBOR profile", at);
      case 28:
      case 29:
      case 30:
        throw new CborMalformedError(`reserved additional information ${info} for major type 7`, at);
      default:
        throw new CborProfileError("simple values other than false, true and null are not allowed", at);
    }
  }

  /** The head's argument, checked to be in shortest form and within the safe integer range. */
  private argument(info: number, at: number, itemStart: number, major: number): number {
    if (info < 24) return info;
    let value: number;
    let min: number;
    switch (info) {
      case 24:
        value = this.byte(itemStart);
        min = 24;
        break;
      case 25:
        value = (this.byte(itemStart) << 8) | this.byte(itemStart);
        min = 0x100;
        break;
      case 26:
        value =
          this.byte(itemStart) * 0x1000000 + ((this.byte(itemStart) << 16) | (this.byte(itemStart) << 8));
        value += this.byte(itemStart);
        min = 0x10000;
        break;
      case 27: {
        const hi =
          this.byte(itemStart) * 0x1000000 + (this.byte(itemStart) << 16) + (this.byte(itemStart) << 8);
        const hiAll = hi + this.byte(itemStart);
        const lo =
          this.byte(itemStart) * 0x1000000 + (this.byte(itemStart) << 16) + (this.byte(itemStart) << 8);
        const loAll = lo + this.byte(itemStart);
        if (hiAll >= 0x200000) {
          if (major === 0 || major === 1)
            throw new CborProfileError("integer outside ±(2^53 − 1) is not part of this CBOR profile", at);
          if (major === 6) throw new CborProfileError("tag number over 2^53", at);
          throw new CborLimitError("length over 2^53", at);
        }
        value = hiAll * 0x100000000 + loAll;
        min = 0x100000000;
        break;
      }
      default:
        throw new CborMalformedError(`reserved additional information ${info}`, at);
    }
    if (value < min)
      throw new CborNotDeterministicError(`value ${value} is not encoded in its shortest form`, at);
    if (major === 1 && value === Number.MAX_SAFE_INTEGER)
      throw new CborProfileError("integer outside ±(2^53 − 1) is not part of this CBOR profile", at);
    return value;
  }

  private enter(depth: number, at: number): void {
    if (depth >= this.maxDepth) throw new CborLimitError(`nesting deeper than ${this.maxDepth}`, at);
  }

  /** Checks that `count` more bytes can fit in the item, asking for more input if needed. */
  private room(count: number, itemStart: number, at: number): void {
    const need = this.pos + count;
    if (need - itemStart > this.maxBytes)
      throw new CborLimitError(`item larger than ${this.maxBytes} bytes`, at);
    if (need > this.buf.length) throw new NeedMore(need);
  }

  private take(length: number, itemStart: number, at: number): Uint8Array {
    this.room(length, itemStart, at);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private byte(itemStart: number): number {
    if (this.pos >= this.buf.length) {
      if (this.pos + 1 - itemStart > this.maxBytes)
        throw new CborLimitError(`item larger than ${this.maxBytes} bytes`, this.pos);
      throw new NeedMore(this.pos + 1);
    }
    return this.buf[this.pos++]!;
  }
}

/** Reads one item at `start`; returns it and where it ends, or NeedMore when the input stops short. */
function readItem(
  buf: Uint8Array,
  start: number,
  options: DecodeOptions,
  anyTag = false,
): { value: CborValue; end: number } | NeedMore {
  const r = new Reader(buf, start, options, anyTag);
  try {
    const value = r.item(start, 0);
    return { value, end: r.pos };
  } catch (e) {
    if (e instanceof NeedMore) return e;
    throw e;
  }
}

function truncated(need: NeedMore, have: number, start: number): CborMalformedError {
  return new CborMalformedError(
    `truncated: the item needs at least ${need.need - start} bytes, only ${have - start} are left`,
    have,
  );
}

/** Decodes exactly one CBOR item of the profile; refuses trailing bytes. */
export function decodeCbor(bytes: Uint8Array, options: DecodeOptions = {}): CborValue {
  const maxBytes = options.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  if (bytes.length === 0) throw new CborMalformedError("empty input: no CBOR item", 0);
  const r = readItem(bytes, 0, options);
  if (r instanceof NeedMore) {
    if (bytes.length > maxBytes) throw new CborLimitError(`item larger than ${maxBytes} bytes`, 0);
    throw truncated(r, bytes.length, 0);
  }
  if (r.end !== bytes.length)
    throw new CborMalformedError(`${bytes.length - r.end} trailing bytes after the CBOR item`, r.end);
  return r.value;
}

/** One item of a CBOR sequence: its value and its exact encoded bytes. */
export interface SequenceItem {
  value: CborValue;
  bytes: Uint8Array;
}

/**
 * Decodes a whole CBOR sequence (RFC 8742) held in memory. `maxBytes` applies to each item;
 * `maxCount` bounds the number of items (default unbounded).
 */
export function decodeSequence(
  bytes: Uint8Array,
  options: DecodeOptions & { maxCount?: number } = {},
): SequenceItem[] {
  const out: SequenceItem[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    if (options.maxCount !== undefined && out.length >= options.maxCount)
      throw new CborLimitError(`more than ${options.maxCount} items in the sequence`, pos);
    const r = readItem(bytes, pos, options);
    if (r instanceof NeedMore) throw truncated(r, bytes.length, pos);
    out.push({ value: r.value, bytes: copyOf(bytes.subarray(pos, r.end)) });
    pos = r.end;
  }
  return out;
}

/**
 * Item copies up to ITEM_SLAB_COPY_MAX bytes are cut from slabs of ITEM_SLAB_BYTES. A new
 * ArrayBuffer past 64 bytes (smaller ones live in V8's heap) costs 1–2 µs whatever its size;
 * a copy into a slab costs only the copy: ~0.1 µs for a bundle's 1.3 KB manifests. Slabs are
 * never reused, so no two copies share bytes; a copy keeps its slab alive, as Node's Buffer
 * pool does.
 */
const ITEM_SLAB_BYTES = 64 * 1024;
const ITEM_SLAB_COPY_MAX = 8 * 1024;
let itemSlab = new Uint8Array(0);
let itemSlabAt = 0;

function itemCopy(view: Uint8Array): Uint8Array {
  const n = view.length;
  if (n > ITEM_SLAB_COPY_MAX) return copyOf(view);
  if (itemSlabAt + n > itemSlab.length) {
    itemSlab = new Uint8Array(ITEM_SLAB_BYTES);
    itemSlabAt = 0;
  }
  const out = itemSlab.subarray(itemSlabAt, itemSlabAt + n);
  out.set(view);
  itemSlabAt += n;
  return out;
}

/**
 * A streamed item as readSequence yields it: its bytes copied once out of the stream's memory,
 * and its value read from that copy, so that the value's byte strings are views of `bytes`
 * rather than copies of their own. `inPlace` is the value as first read from the stream's
 * memory (with views, so nothing was copied); a top-level byte string, which a bundle's
 * manifests are, needs no second reading.
 */
function ownItem(encoded: Uint8Array, inPlace: CborValue, withViews: DecodeOptions): SequenceItem {
  const bytes = itemCopy(encoded);
  if (inPlace instanceof Uint8Array) return { value: bytes.subarray(bytes.length - inPlace.length), bytes };
  if (inPlace === null || typeof inPlace !== "object") return { value: inPlace, bytes };
  return { value: decodeCbor(bytes, withViews), bytes };
}

/**
 * Reads a CBOR sequence (RFC 8742) from a stream of chunks (a file stream, an array of
 * buffers…), yielding each item as soon as it is complete. Memory stays bounded by one item
 * (at most `maxBytes`) plus one chunk. An item cut short at the end of the stream is refused.
 */
export async function* readSequence(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: DecodeOptions & { maxCount?: number } = {},
): AsyncGenerator<SequenceItem, void, undefined> {
  const maxBytes = options.maxBytes ?? DEFAULT_LIMITS.maxBytes;
  let buf: Uint8Array = new Uint8Array(0);
  let need = 1;
  let count = 0;
  let consumed = 0; // bytes of the stream before buf[0], for error offsets
  const withViews: DecodeOptions = { ...options, byteStringViews: true }; // see ownItem
  const drain = function* (): Generator<SequenceItem> {
    let pos = 0;
    while (buf.length - pos >= need) {
      if (options.maxCount !== undefined && count >= options.maxCount)
        throw new CborLimitError(`more than ${options.maxCount} items in the sequence`, consumed + pos);
      let r: ReturnType<typeof readItem>;
      try {
        r = readItem(buf, pos, withViews);
      } catch (e) {
        if (e instanceof CborError) e.shift(consumed);
        throw e;
      }
      if (r instanceof NeedMore) {
        need = r.need - pos;
        break;
      }
      count++;
      yield ownItem(buf.subarray(pos, r.end), r.value, withViews);
      pos = r.end;
      need = 1;
    }
    buf = buf.subarray(pos);
    consumed += pos;
  };
  // Chunks wait in `pending` until the item in hand can be complete, so a large byte string
  // is copied once, not once per chunk. A source may reuse its buffer once asked for the next
  // chunk, so whatever is kept across that request is our own copy; items are decoded and
  // yielded as copies, so a chunk decoded in place need not be copied at all.
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let aliased = false; // buf is a view of the source's chunk
  const flush = (): void => {
    if (pending.length === 0) return;
    if (buf.length === 0 && pending.length === 1) {
      buf = pending[0]!;
      aliased = true;
    } else {
      const next = new Uint8Array(buf.length + pendingLength);
      next.set(buf);
      let at = buf.length;
      for (const c of pending) {
        next.set(c, at);
        at += c.length;
      }
      buf = next;
      aliased = false;
    }
    pending = [];
    pendingLength = 0;
  };
  for await (const chunk of source) {
    if (chunk.length === 0) continue;
    pendingLength += chunk.length;
    if (buf.length + pendingLength < need) {
      pending.push(copyOf(chunk)); // kept across the next read
      continue;
    }
    pending.push(chunk);
    flush();
    yield* drain();
    if (buf.length > maxBytes) throw new CborLimitError(`item larger than ${maxBytes} bytes`, consumed);
    if (aliased) {
      buf = copyOf(buf); // the unfinished item outlives this chunk
      aliased = false;
    }
  }
  flush();
  if (buf.length > 0)
    throw new CborMalformedError(
      `truncated: the last item needs at least ${need} bytes, only ${buf.length} are left`,
      consumed + buf.length,
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: false,
  variableMapSize: true,
  tagUint8Array: false,
  pack: false,
  structuredClone: false,
  largeBigIntToFloat: false,
  bundleStrings: false,
});

function rawEncode(value: unknown): Uint8Array {
  return new Uint8Array(encoder.encode(value));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "object" && value !== null) return `a ${value.constructor?.name ?? "object"}`;
  return `a ${typeof value}`;
}

function prepareKey(key: unknown, path: string): number | bigint | string {
  if (typeof key === "string") return key;
  if (typeof key === "number" && Number.isSafeInteger(key)) return prepare(key, path, 0) as number | bigint;
  throw new CborEncodeError(`${path}: map key ${describe(key)} is neither text nor a safe integer`);
}

function prepareEntries(
  entries: Iterable<[unknown, unknown]>,
  path: string,
  depth: number,
): Map<unknown, unknown> {
  const sorted: { enc: Uint8Array; key: unknown; value: unknown }[] = [];
  for (const [k, v] of entries) {
    const key = prepareKey(k, path);
    sorted.push({ enc: rawEncode(key), key, value: prepare(v, `${path}.${String(k)}`, depth + 1) });
  }
  sorted.sort((a, b) => compareBytes(a.enc, b.enc));
  for (let i = 1; i < sorted.length; i++)
    if (compareBytes(sorted[i - 1]!.enc, sorted[i]!.enc) === 0)
      throw new CborEncodeError(`${path}: map key ${String(sorted[i]!.key)} appears twice`);
  return new Map(sorted.map((e) => [e.key, e.value]));
}

/** Puts a value in the shape cbor-x writes deterministically, refusing what the profile lacks. */
function prepare(value: unknown, path: string, depth: number): unknown {
  if (depth > 256) throw new CborEncodeError(`${path}: nesting deeper than 256 (a cycle?)`);
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value))
      throw new CborEncodeError(`${path}: ${describe(value)} is not an integer within ±(2^53 − 1)`);
    if (value === 0) return 0; // also turns -0 into 0
    // cbor-x writes integers beyond 32 bits as floats; bigints it writes as integers.
    return value > 0xffffffff || value < -0x100000000 ? BigInt(value) : value;
  }
  if (value instanceof Uint8Array) {
    if (value.constructor !== Uint8Array && !Buffer.isBuffer(value))
      throw new CborEncodeError(`${path}: ${describe(value)} is not a plain Uint8Array`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => prepare(v, `${path}[${i}]`, depth + 1));
  if (value instanceof CborTag) {
    if (!Number.isSafeInteger(value.tag) || value.tag < 0)
      throw new CborEncodeError(`${path}: tag ${value.tag} is not a non-negative integer`);
    return new Tag(prepare(value.value, `${path}<${value.tag}>`, depth + 1), value.tag);
  }
  if (value instanceof Map) return prepareEntries(value, path, depth);
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto === Object.prototype || proto === null) {
      const entries = Object.entries(value as Record<string, unknown>);
      for (const [k, v] of entries)
        if (v === undefined) throw new CborEncodeError(`${path}.${k} is undefined (use null)`);
      return prepareEntries(entries, path, depth);
    }
  }
  throw new CborEncodeError(`${path}: ${describe(value)} cannot be encoded in this CBOR profile`);
}

/**
 * The head of a definite-length byte string of `length` bytes (major type 2, shortest form,
 * RFC 8949 §3.1), for writers that stream a large byte string's content after it instead of
 * copying it into one encoded buffer.
 */
export function byteStringHead(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0)
    throw new CborEncodeError(`not a byte string length: ${length}`);
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  if (length < 0x10000) return Uint8Array.of(0x59, length >> 8, length & 0xff);
  if (length <= 0xffffffff)
    return Uint8Array.of(0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
  throw new CborEncodeError("byte strings over 4 GiB are not written by this profile");
}

/**
 * Encodes a value deterministically (RFC 8949 §4.2.1): shortest heads, definite lengths, map
 * keys sorted by their encoded bytes, byte strings for Uint8Array, no cbor-x extension tags.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const out = rawEncode(prepare(value, "value", 0));
  // Self-check: what we write, our strict decoder must read back in full.
  try {
    const r = readItem(
      out,
      0,
      { maxBytes: Number.MAX_SAFE_INTEGER, maxDepth: 300, maxItems: Infinity },
      true,
    );
    if (r instanceof NeedMore || r.end !== out.length) throw new Error("the encoding is incomplete");
  } catch (e) {
    throw new CborEncodeError(
      `the encoder produced bytes outside the profile: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Format versions

/**
 * Returns the payload's format version `v` if it is one of `supported`; otherwise throws
 * FormatVersionError naming the version found and `what` the payload is.
 */
export function requireVersion(payload: unknown, supported: readonly number[], what: string): number {
  let v: unknown;
  if (payload instanceof Map) v = payload.get("v");
  else if (typeof payload === "object" && payload !== null && !Array.isArray(payload))
    v = Object.hasOwn(payload, "v") ? (payload as Record<string, unknown>)["v"] : undefined;
  if (typeof v !== "number" || !supported.includes(v)) throw new FormatVersionError(what, v, supported);
  return v;
}
