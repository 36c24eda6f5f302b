// A bounded DER reader (X.690 §8 and §10), just what X.509 certificates need. It reads one
// TLV at a time within a given end, never past it, and never copies: contents are subarrays
// of the input, so what is signed and hashed stays the original bytes. Definite lengths only
// (at most 4 length octets), tag numbers up to 28 bits. Every failure is a DerError with the
// offset of the element that failed.
//
// Some real EK certificates are not strictly DER, and the readers tolerate exactly that much:
// BIT STRINGs whose unused-bit count or trailing zero bytes are not minimal (Infineon key
// usage), BOOLEANs other than 0xFF for TRUE, SETs in any order (the caller decides what a SET
// means), non-minimal length octets. Whatever would change the meaning of the bytes is refused.
import { DerError } from "./errors.js";

export type DerClass = "universal" | "application" | "context" | "private";

/** One element: where it starts, how long its header and its contents are, where it ends. */
export interface Tlv {
  /** The tag number (the low 5 bits of the identifier, or the high-tag-number form). */
  readonly tag: number;
  readonly cls: DerClass;
  readonly constructed: boolean;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Identifier and length octets: the contents start at `start + headerLength`. */
  readonly headerLength: number;
  /** Length of the contents. */
  readonly length: number;
  /** Offset just past the contents. */
  readonly end: number;
}

/** Universal tag numbers (X.680 §8.4). */
export const TAG = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  UTF8String: 12,
  SEQUENCE: 16,
  SET: 17,
  NumericString: 18,
  PrintableString: 19,
  T61String: 20,
  VideotexString: 21,
  IA5String: 22,
  UTCTime: 23,
  GeneralizedTime: 24,
  GraphicString: 25,
  VisibleString: 26,
  GeneralString: 27,
  UniversalString: 28,
  BMPString: 30,
} as const;

/** How deep walkDer descends into constructed elements before it refuses the input. */
export const MAX_DEPTH = 32;

const CLASSES: readonly DerClass[] = ["universal", "application", "context", "private"];

const UNIVERSAL_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(TAG).map(([name, tag]) => [tag, name.replace(/_/g, " ")]),
);

/** "SEQUENCE", "UTCTime", "[3]", "[APPLICATION 2]": for messages. */
export function describeTag(t: Pick<Tlv, "tag" | "cls">): string {
  if (t.cls === "universal") return UNIVERSAL_NAMES[t.tag] ?? `universal tag ${t.tag}`;
  if (t.cls === "context") return `[${t.tag}]`;
  return `[${t.cls.toUpperCase()} ${t.tag}]`;
}

/** Reads the element at `offset`; its contents must end at or before `end`. */
export function readTlv(bytes: Uint8Array, offset: number, end: number = bytes.length): Tlv {
  if (end > bytes.length) end = bytes.length;
  if (offset >= end) throw new DerError("expected a DER element, found the end of the data", offset);
  const id = bytes[offset] as number;
  const cls = CLASSES[id >> 6] as DerClass;
  const constructed = (id & 0x20) !== 0;
  let tag = id & 0x1f;
  let p = offset + 1;
  if (tag === 0x1f) {
    // High-tag-number form: base-128, most significant group first, at most 4 octets.
    tag = 0;
    for (let n = 0; ; n++) {
      if (p >= end) throw new DerError("truncated tag number", offset);
      if (n === 4) throw new DerError("tag number longer than 4 octets", offset);
      const b = bytes[p++] as number;
      if (n === 0 && b === 0x80) throw new DerError("tag number with a leading zero group", offset);
      tag = tag * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (tag < 0x1f) throw new DerError(`tag number ${tag} in the long form`, offset);
  }
  if (p >= end) throw new DerError(`truncated ${describeTag({ tag, cls })}: no length`, offset);
  const first = bytes[p++] as number;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0)
      throw new DerError(`indefinite length (BER, not DER) for ${describeTag({ tag, cls })}`, offset);
    if (n > 4) throw new DerError(`length of ${n} octets for ${describeTag({ tag, cls })}`, offset);
    if (p + n > end) throw new DerError(`truncated length of ${describeTag({ tag, cls })}`, offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[p++] as number);
  }
  if (length > end - p) {
    throw new DerError(
      `${describeTag({ tag, cls })} claims ${length} bytes of contents but only ${end - p} remain`,
      offset,
    );
  }
  return { tag, cls, constructed, start: offset, headerLength: p - offset, length, end: p + length };
}

/** Offset of the first content octet. */
export const contentStart = (t: Tlv): number => t.start + t.headerLength;

/** The contents (no header), as a view of the input. */
export function contentOf(bytes: Uint8Array, t: Tlv): Uint8Array {
  return bytes.subarray(t.start + t.headerLength, t.end);
}

/** The whole element, header included, as a view of the input. */
export function elementOf(bytes: Uint8Array, t: Tlv): Uint8Array {
  return bytes.subarray(t.start, t.end);
}

/** True for a universal element with this tag number. */
export const isUniversal = (t: Tlv, tag: number): boolean => t.cls === "universal" && t.tag === tag;

/** True for a context-specific element [n]. */
export const isContext = (t: Tlv, n: number): boolean => t.cls === "context" && t.tag === n;

/** Throws unless `t` is the universal `tag`, with the right form (SEQUENCE and SET constructed, others primitive). */
export function expectUniversal(t: Tlv, tag: number, what?: string): Tlv {
  if (t.cls !== "universal" || t.tag !== tag) {
    const want = UNIVERSAL_NAMES[tag] ?? `universal tag ${tag}`;
    throw new DerError(`${what ? `${what}: ` : ""}expected ${want}, found ${describeTag(t)}`, t.start);
  }
  const wantConstructed = tag === TAG.SEQUENCE || tag === TAG.SET;
  if (t.constructed !== wantConstructed) {
    throw new DerError(
      `${what ? `${what}: ` : ""}${describeTag(t)} must be ${wantConstructed ? "constructed" : "primitive"}`,
      t.start,
    );
  }
  return t;
}

/** Reads the element at `offset` and checks it is the universal `tag`. */
export function readExpected(
  bytes: Uint8Array,
  offset: number,
  end: number,
  tag: number,
  what?: string,
): Tlv {
  return expectUniversal(readTlv(bytes, offset, end), tag, what);
}

/** The elements inside a constructed element (a SEQUENCE, a SET, an explicit tag), in encoded order. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  if (!parent.constructed) throw new DerError(`${describeTag(parent)} is not constructed`, parent.start);
  const out: Tlv[] = [];
  for (let p = parent.start + parent.headerLength; p < parent.end; ) {
    const t = readTlv(bytes, p, parent.end);
    out.push(t);
    p = t.end;
  }
  return out;
}

/** The single element inside an explicit tag such as [0] or [3]; nothing may follow it. */
export function onlyChild(bytes: Uint8Array, parent: Tlv): Tlv {
  if (!parent.constructed) throw new DerError(`${describeTag(parent)} is not constructed`, parent.start);
  const inner = readTlv(bytes, contentStart(parent), parent.end);
  if (inner.end !== parent.end) {
    throw new DerError(`${parent.end - inner.end} unexpected byte(s) after ${describeTag(inner)}`, inner.end);
  }
  return inner;
}

/**
 * Visits every element depth first, descending into constructed ones, and refuses nesting
 * deeper than `maxDepth`. The elements must exactly fill `bytes` (or `[offset, end)`).
 */
export function walkDer(
  bytes: Uint8Array,
  visit?: (t: Tlv, depth: number) => void,
  options: { maxDepth?: number; offset?: number; end?: number } = {},
): void {
  const maxDepth = options.maxDepth ?? MAX_DEPTH;
  const walk = (from: number, to: number, depth: number): void => {
    if (depth > maxDepth) throw new DerError(`nested deeper than ${maxDepth} levels`, from);
    for (let p = from; p < to; ) {
      const t = readTlv(bytes, p, to);
      visit?.(t, depth);
      if (t.constructed) walk(contentStart(t), t.end, depth + 1);
      p = t.end;
    }
  };
  walk(options.offset ?? 0, options.end ?? bytes.length, 0);
}

// ---------------------------------------------------------------------------------------------
// Primitive values. Each reader checks the tag (unless told the element is implicitly tagged).

function primitive(t: Tlv, tag: number, implicit: boolean): void {
  if (implicit) {
    if (t.constructed) throw new DerError(`${describeTag(t)} must be primitive`, t.start);
  } else {
    expectUniversal(t, tag);
  }
}

/** The INTEGER's contents, two's complement, as encoded (at least one octet). */
export function readIntegerBytes(bytes: Uint8Array, t: Tlv, implicit = false): Uint8Array {
  primitive(t, TAG.INTEGER, implicit);
  if (t.length === 0) throw new DerError("empty INTEGER", t.start);
  return contentOf(bytes, t);
}

/** The INTEGER as a bigint (two's complement). */
export function readIntegerBigInt(bytes: Uint8Array, t: Tlv, implicit = false): bigint {
  const c = readIntegerBytes(bytes, t, implicit);
  let v = BigInt(`0x${toHex(c)}`); // linear, where byte-by-byte shifting is quadratic
  if ((c[0] as number) & 0x80) v -= 1n << BigInt(c.length * 8);
  return v;
}

/** The INTEGER's magnitude as lowercase hex, without sign octets; negative values get a "-". */
export function readIntegerHex(bytes: Uint8Array, t: Tlv, implicit = false): string {
  const v = readIntegerBigInt(bytes, t, implicit);
  const hex = (v < 0n ? -v : v).toString(16);
  return (v < 0n ? "-" : "") + (hex.length % 2 ? `0${hex}` : hex);
}

/** A small non-negative INTEGER (a version, a path length) as a number. */
export function readSmallInteger(bytes: Uint8Array, t: Tlv, max = 0x7fffffff): number {
  const c = readIntegerBytes(bytes, t);
  if (c.length > 6 || ((c[0] as number) & 0x80) !== 0) {
    throw new DerError(
      `INTEGER ${c.length > 6 ? `of ${c.length} octets` : readIntegerBigInt(bytes, t)} out of range 0…${max}`,
      t.start,
    );
  }
  let v = 0;
  for (let i = 0; i < c.length; i++) v = v * 256 + (c[i] as number);
  if (v > max) throw new DerError(`INTEGER ${v} out of range 0…${max}`, t.start);
  return v;
}

export interface BitString {
  /** Bits of the last octet that are not part of the value (0…7). */
  readonly unusedBits: number;
  /** The octets after the unused-bits octet. */
  readonly data: Uint8Array;
}

/** A BIT STRING as encoded. Any unused-bit count 0…7 and trailing zero octets are accepted. */
export function readBitString(bytes: Uint8Array, t: Tlv, implicit = false): BitString {
  primitive(t, TAG.BIT_STRING, implicit);
  if (t.length === 0) throw new DerError("BIT STRING without its unused-bits octet", t.start);
  const c = contentOf(bytes, t);
  const unusedBits = c[0] as number;
  if (unusedBits > 7) throw new DerError(`BIT STRING with ${unusedBits} unused bits`, t.start);
  if (unusedBits > 0 && c.length === 1) throw new DerError("empty BIT STRING with unused bits", t.start);
  return { unusedBits, data: c.subarray(1) };
}

/** A BIT STRING holding whole octets (a key, a signature): the unused-bit count must be 0. */
export function readBitStringOctets(bytes: Uint8Array, t: Tlv): Uint8Array {
  const bs = readBitString(bytes, t);
  if (bs.unusedBits !== 0)
    throw new DerError(`BIT STRING of octets with ${bs.unusedBits} unused bits`, t.start);
  return bs.data;
}

/** Numbers of the bits that are set (bit 0 is the most significant bit of the first octet), ignoring unused bits. */
export function bitStringFlags(bs: BitString): number[] {
  const out: number[] = [];
  const n = bs.data.length;
  for (let i = 0; i < n; i++) {
    let b = bs.data[i] as number;
    if (i === n - 1) b &= (0xff << bs.unusedBits) & 0xff;
    if (b === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) out.push(i * 8 + bit);
  }
  return out;
}

export function readOctetString(bytes: Uint8Array, t: Tlv, implicit = false): Uint8Array {
  primitive(t, TAG.OCTET_STRING, implicit);
  return contentOf(bytes, t);
}

/** BOOLEAN: DER says 0xFF for TRUE; any non-zero octet is read as TRUE. */
export function readBoolean(bytes: Uint8Array, t: Tlv): boolean {
  expectUniversal(t, TAG.BOOLEAN);
  if (t.length !== 1) throw new DerError(`BOOLEAN of ${t.length} octets`, t.start);
  return bytes[contentStart(t)] !== 0;
}

export function readNull(_bytes: Uint8Array, t: Tlv): null {
  expectUniversal(t, TAG.NULL);
  if (t.length !== 0) throw new DerError(`NULL with ${t.length} octets of contents`, t.start);
  return null;
}

/**
 * Decoded OIDs by their content octets: certificates repeat the same few dozen, and a hash of
 * the octets is cheaper to make than a string key.
 */
const oidCache = new Map<number, { octets: Uint8Array; dotted: string }[]>();
const OID_CACHE_MAX = 4096;
const MAX_ARC_OCTETS = 24;
let oidCacheSize = 0;

function oidHash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

function cachedOid(bytes: Uint8Array, from: number, to: number, hash: number): string | undefined {
  const entries = oidCache.get(hash);
  if (!entries) return undefined;
  next: for (const e of entries) {
    if (e.octets.length !== to - from) continue;
    for (let i = 0; i < e.octets.length; i++) if (e.octets[i] !== bytes[from + i]) continue next;
    return e.dotted;
  }
  return undefined;
}

/** OBJECT IDENTIFIER as a dotted string, e.g. "2.23.133.8.1". */
export function readOid(bytes: Uint8Array, t: Tlv, implicit = false): string {
  primitive(t, TAG.OBJECT_IDENTIFIER, implicit);
  if (t.length === 0) throw new DerError("empty OBJECT IDENTIFIER", t.start);
  const from = contentStart(t);
  const hash = oidHash(bytes, from, t.end);
  const cached = cachedOid(bytes, from, t.end, hash);
  if (cached !== undefined) return cached;
  let dotted = "";
  let p = from;
  while (p < t.end) {
    if (bytes[p] === 0x80) throw new DerError("OBJECT IDENTIFIER arc with a leading zero group", t.start);
    let v = 0;
    let big: bigint | undefined;
    const arcStart = p;
    for (;;) {
      if (p >= t.end) throw new DerError("truncated OBJECT IDENTIFIER arc", t.start);
      // 2.25.<UUID> needs 19 octets (128 bits); longer arcs are not in any certificate.
      if (p - arcStart >= MAX_ARC_OCTETS)
        throw new DerError(`OBJECT IDENTIFIER arc longer than ${MAX_ARC_OCTETS} octets`, t.start);
      const b = bytes[p++] as number;
      if (big === undefined && v > 0x3fffffffffff) big = BigInt(v);
      if (big === undefined) v = v * 128 + (b & 0x7f);
      else big = big * 128n + BigInt(b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    if (dotted === "") {
      // The first subidentifier packs two arcs: 40·X + Y, X ∈ {0, 1, 2}.
      if (big !== undefined) dotted = `2.${big - 80n}`;
      else if (v < 40) dotted = `0.${v}`;
      else if (v < 80) dotted = `1.${v - 40}`;
      else dotted = `2.${v - 80}`;
    } else {
      dotted += `.${big !== undefined ? big : v}`;
    }
  }
  if (oidCacheSize < OID_CACHE_MAX && t.length <= 32) {
    oidCacheSize++;
    // A copy: kept for the life of the process, it must not be a view of a Buffer its owner
    // reuses (Buffer's slice() would be one).
    const entry = { octets: new Uint8Array(bytes.subarray(from, t.end)), dotted };
    const entries = oidCache.get(hash);
    if (entries) entries.push(entry);
    else oidCache.set(hash, [entry]);
  }
  return dotted;
}

const TIME = {
  utc: /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(Z|[+-]\d{4})$/,
  generalized: /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:[.,](\d{1,9}))?(Z|[+-]\d{4})$/,
};

/** Two ASCII digits as a number, NaN if they are not digits. */
function twoDigits(bytes: Uint8Array, at: number): number {
  const hi = (bytes[at] as number) - 0x30;
  const lo = (bytes[at + 1] as number) - 0x30;
  return hi < 0 || hi > 9 || lo < 0 || lo > 9 ? Number.NaN : hi * 10 + lo;
}

/**
 * The DER forms, YYMMDDHHMMSSZ and YYYYMMDDHHMMSSZ, read without a regular expression (this is
 * the bulk path); undefined for anything else, which readTime then reads the slow way.
 */
function fastTime(bytes: Uint8Array, from: number, to: number, utc: boolean): Date | undefined {
  if (to - from !== (utc ? 13 : 15) || bytes[to - 1] !== 0x5a) return undefined;
  let p = from;
  let year: number;
  if (utc) {
    const yy = twoDigits(bytes, p);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
    p += 2;
  } else {
    year = twoDigits(bytes, p) * 100 + twoDigits(bytes, p + 2);
    p += 4;
  }
  const month = twoDigits(bytes, p);
  const day = twoDigits(bytes, p + 2);
  const hour = twoDigits(bytes, p + 4);
  const minute = twoDigits(bytes, p + 6);
  const second = twoDigits(bytes, p + 8);
  // NaN fails every comparison below; years 0–99 would be read by Date.UTC as 1900–1999.
  if (!(year >= 100 && hour <= 23 && minute <= 59 && second <= 59 && month >= 1 && day >= 1))
    return undefined;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined; // the slow path says why
  return date;
}

/**
 * UTCTime (years 50–99 are 19xx, RFC 5280 §4.1.2.5.1) or GeneralizedTime as a Date. Seconds
 * may be missing and the zone may be an offset (older, non-DER certificates); local times
 * without a zone are refused.
 */
export function readTime(bytes: Uint8Array, t: Tlv): Date {
  const utc = isUniversal(t, TAG.UTCTime);
  if (!utc && !isUniversal(t, TAG.GeneralizedTime)) {
    throw new DerError(`expected UTCTime or GeneralizedTime, found ${describeTag(t)}`, t.start);
  }
  if (t.constructed) throw new DerError(`${describeTag(t)} must be primitive`, t.start);
  const fast = fastTime(bytes, contentStart(t), t.end, utc);
  if (fast !== undefined) return fast;
  const text = latin1(bytes, contentStart(t), t.end);
  const m = (utc ? TIME.utc : TIME.generalized).exec(text);
  if (!m) throw new DerError(`invalid ${describeTag(t)} ${JSON.stringify(text.slice(0, 40))}`, t.start);
  const [, y, mo, d, h, mi, s, ...rest] = m;
  let year = Number(y);
  if (utc) year += year < 50 ? 2000 : 1900;
  const fraction = utc ? undefined : rest[0];
  const zone = (utc ? rest[0] : rest[1]) as string;
  const [month, day, hour, minute, second] = [mo, d, h, mi, s ?? "0"].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new DerError(`invalid date ${JSON.stringify(text)} in ${describeTag(t)}`, t.start);
  }
  if (zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(3, 5));
    if (zh > 23 || zm > 59) throw new DerError(`invalid zone in ${JSON.stringify(text)}`, t.start);
    date.setTime(date.getTime() - sign * (zh * 60 + zm) * 60_000);
  }
  return date;
}

const STRING_TAGS: ReadonlySet<number> = new Set([
  TAG.UTF8String,
  TAG.NumericString,
  TAG.PrintableString,
  TAG.T61String,
  TAG.VideotexString,
  TAG.IA5String,
  TAG.GraphicString,
  TAG.VisibleString,
  TAG.GeneralString,
  TAG.UniversalString,
  TAG.BMPString,
]);

/** True for a universal character-string type readString decodes. */
export const isStringTag = (t: Tlv): boolean =>
  t.cls === "universal" && !t.constructed && STRING_TAGS.has(t.tag);

/** True for the universal tag number of a character-string type readString decodes. */
export const isStringTagNumber = (tag: number): boolean => STRING_TAGS.has(tag);

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes [from, to) as Latin-1 text. */
function latin1(b: Uint8Array, from = 0, to = b.length): string {
  if (to - from <= 64) {
    let s = "";
    for (let i = from; i < to; i++) s += String.fromCharCode(b[i] as number);
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset + from, to - from).toString("latin1");
}

function isAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if ((b[i] as number) & 0x80) return false;
  return true;
}

/**
 * A character string as text: UTF8String as UTF-8; BMPString as UTF-16BE; UniversalString as
 * UTF-32BE; T61String/TeletexString and the other 8-bit types as Latin-1 (what real T61 names
 * contain in practice).
 */
export function readString(bytes: Uint8Array, t: Tlv): string {
  if (!isStringTag(t)) throw new DerError(`expected a character string, found ${describeTag(t)}`, t.start);
  const from = contentStart(t);
  switch (t.tag) {
    case TAG.PrintableString:
    case TAG.IA5String:
    case TAG.T61String:
    case TAG.NumericString:
    case TAG.VisibleString:
    case TAG.VideotexString:
    case TAG.GraphicString:
    case TAG.GeneralString:
      return latin1(bytes, from, t.end);
  }
  const c = bytes.subarray(from, t.end);
  switch (t.tag) {
    case TAG.UTF8String:
      if (isAscii(c)) return latin1(c);
      try {
        return utf8Decoder.decode(c);
      } catch {
        throw new DerError("UTF8String that is not valid UTF-8", t.start);
      }
    case TAG.BMPString: {
      if (c.length % 2) throw new DerError(`BMPString of odd length ${c.length}`, t.start);
      let s = "";
      for (let i = 0; i < c.length; i += 2)
        s += String.fromCharCode(((c[i] as number) << 8) | (c[i + 1] as number));
      return s;
    }
    case TAG.UniversalString: {
      if (c.length % 4)
        throw new DerError(`UniversalString of length ${c.length}, not a multiple of 4`, t.start);
      let s = "";
      for (let i = 0; i < c.length; i += 4) {
        const cp =
          (c[i] as number) * 0x1000000 +
          (((c[i + 1] as number) << 16) | ((c[i + 2] as number) << 8) | (c[i + 3] as number));
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new DerError(`UniversalString with invalid code point 0x${cp.toString(16)}`, t.start);
        }
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    default:
      return latin1(c);
  }
}

/** Lowercase hex of some bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}
