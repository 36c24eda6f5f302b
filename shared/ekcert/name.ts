// X.501 Names (RFC 5280 §4.1.2.4): read as encoded, shown as text, compared as RFC 5280 §7.1
// says. Real issuer names are not always DER: Nuvoton encodes one multi-valued RDN whose SET is
// not sorted, and some vendors' EK certs spell the issuer with other case or spacing than the
// CA's subject. So equality never looks at the bytes alone: attribute types compare exactly,
// string values after a simplified RFC 4518 preparation (case folded, NFKC, whitespace trimmed
// and collapsed), RDNs in order, the attributes of one RDN as a set.
import { equalBytes } from "../bytes/equal-bytes.js";
import {
  children,
  contentStart,
  elementOf,
  expectUniversal,
  isStringTag,
  isStringTagNumber,
  readOid,
  readString,
  readTlv,
  TAG,
  type Tlv,
  toHex,
} from "./der.js";
import { DerError, toParseError } from "./errors.js";
import { attributeShortName } from "./oid.js";
import { ReadBefore } from "./read-before.js";
import type { Name, NameAttribute } from "./types.js";

/**
 * Names read before (read-before.ts): one issuer Name per CA, one SAN directoryName per TPM
 * model, the same empty subject, about 5 % of an import's certificate checks. Identical bytes
 * give an identical Name, and a Name is never changed once made, so one object serves them all.
 */
const SEEN = new ReadBefore<ParsedName>(1024);

/**
 * Reads the Name element `t` of `bytes`. Its `der` is the Name exactly as encoded, in a copy of
 * its own (see SEEN), never a re-encoding.
 */
export function readName(bytes: Uint8Array, t: Tlv): Name {
  expectUniversal(t, TAG.SEQUENCE, "Name");
  const seen = SEEN.get(bytes, t.start, t.end);
  if (seen !== undefined) return seen;
  const name = walkName(bytes, t);
  SEEN.set(bytes, t.start, t.end, name);
  return name;
}

function walkName(bytes: Uint8Array, t: Tlv): ParsedName {
  const rdns: NameAttribute[][] = [];
  for (const set of children(bytes, t)) {
    expectUniversal(set, TAG.SET, "RelativeDistinguishedName");
    const rdn: NameAttribute[] = [];
    for (const atv of children(bytes, set)) {
      expectUniversal(atv, TAG.SEQUENCE, "AttributeTypeAndValue");
      const typeTlv = readTlv(bytes, contentStart(atv), atv.end);
      const type = readOid(bytes, typeTlv);
      const valueTlv = readTlv(bytes, typeTlv.end, atv.end);
      if (valueTlv.end !== atv.end) {
        throw new DerError(`unexpected data after the value of attribute ${type}`, valueTlv.end);
      }
      // RFC 4514 §2.4: a value that is not a string is shown as # and the hex of its DER.
      const value = isStringTag(valueTlv)
        ? readString(bytes, valueTlv)
        : `#${toHex(elementOf(bytes, valueTlv))}`;
      rdn.push({ type, tag: valueTlv.cls === "universal" ? valueTlv.tag : -1, value });
    }
    if (rdn.length === 0)
      throw new DerError("empty RelativeDistinguishedName (a SET needs one attribute)", set.start);
    rdns.push(rdn);
  }
  // A copy (not slice(), a view on a Node Buffer): a read Name may be kept (SEEN).
  return new ParsedName(new Uint8Array(bytes.subarray(t.start, t.end)), rdns);
}

/** A Name whose text is made on first use: the bulk path never shows one. */
class ParsedName implements Name {
  #text: string | undefined;
  #key: string | undefined;
  constructor(
    readonly der: Uint8Array,
    readonly rdns: readonly (readonly NameAttribute[])[],
  ) {}
  get text(): string {
    this.#text ??= nameText(this.rdns);
    return this.#text;
  }
  /** nameKey, kept on the object (a WeakMap of every leaf's issuer would burden the GC). */
  static key(name: ParsedName): string {
    name.#key ??= computeKey(name.rdns);
    return name.#key;
  }
}

/** Parses a DER Name (the whole of `der`, nothing after it). The result keeps a copy of `der`. */
export function parseName(input: Uint8Array): Name {
  const der = new Uint8Array(input);
  try {
    const t = readTlv(der, 0);
    if (t.end !== der.length) throw new DerError(`${der.length - t.end} byte(s) after the Name`, t.end);
    return readName(der, t);
  } catch (e) {
    throw toParseError("malformed Name", e);
  }
}

const NEEDS_ESCAPE = /["+,;<>\\\u0000]|^[ #]| $/;

/** RFC 4514 §2.4 escaping, for a readable and unambiguous text form. */
function escapeValue(attr: NameAttribute): string {
  if (attr.tag === -1 || !isStringTagNumber(attr.tag)) return attr.value; // already "#hex"
  if (!NEEDS_ESCAPE.test(attr.value)) return attr.value;
  let s = attr.value.replace(/["+,;<>\\]/g, "\\$&").replace(/\u0000/g, "\\00");
  if (s.startsWith("#") || s.startsWith(" ")) s = `\\${s}`;
  if (s.endsWith(" ") && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** `C=DE, O=Infineon Technologies AG, CN=…` in encoded order; a multi-valued RDN joins with " + ". */
export function nameText(rdns: readonly (readonly NameAttribute[])[]): string {
  return rdns
    .map((rdn) => rdn.map((a) => `${attributeShortName(a.type)}=${escapeValue(a)}`).join(" + "))
    .join(", ");
}

/** True when the value is plain ASCII with single inner spaces and none at the ends (most real names). */
function simpleAscii(v: string): boolean {
  let prevSpace = true; // a leading space is not simple
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x80 || (c < 0x20 && c !== 0x20) || c === 0x7f) return false;
    const space = c === 0x20;
    if (space && prevSpace) return false;
    prevSpace = space;
  }
  return !prevSpace || v.length === 0;
}

/** RFC 4518 string preparation, simplified: case fold, NFKC, insignificant whitespace. */
function prepare(attr: NameAttribute): string {
  if (attr.tag === -1 || !isStringTagNumber(attr.tag)) return attr.value.toLowerCase();
  if (simpleAscii(attr.value)) return attr.value.toLowerCase(); // NFKC and spacing change nothing here
  return attr.value.toLowerCase().normalize("NFKC").trim().replace(/\s+/gu, " ");
}

function computeKey(rdns: readonly (readonly NameAttribute[])[]): string {
  let key = "";
  for (const rdn of rdns) {
    if (rdn.length === 1) {
      const a = rdn[0] as NameAttribute;
      const v = prepare(a);
      key += `${a.type}=${v.length}:${v};`;
      continue;
    }
    const parts = rdn.map((a) => {
      const v = prepare(a);
      return `${a.type}=${v.length}:${v}`;
    });
    key += `${parts.sort().join("+")};`;
  }
  return key;
}

/**
 * A string that is equal for two names exactly when namesEqual says they are: use it as a Map
 * key to look issuers up by name. Each value is length-prefixed, so no value can fake a separator.
 */
export function nameKey(name: Name): string {
  return name instanceof ParsedName ? ParsedName.key(name) : computeKey(name.rdns);
}

/** RFC 5280 §7.1 name matching (see the file comment for the rules applied). */
export function namesEqual(a: Name, b: Name): boolean {
  if (equalBytes(a.der, b.der)) return true;
  if (a.rdns.length !== b.rdns.length) return false;
  return nameKey(a) === nameKey(b);
}

/** For messages: the Name's text, or "(empty)". */
export function describeName(name: Name): string {
  return name.rdns.length === 0 ? "(empty)" : name.text;
}
