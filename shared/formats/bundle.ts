// Bundles (DESIGN §5 "Bundle"): a CBOR sequence (RFC 8742) of
//   1. a header, COSE_Sign1 by the station over {v, bundle_id, station, seq, prev, created_at,
//      count, digests};
//   2. `count` items, each a CBOR byte string holding one encoded manifest COSE_Sign1, whose
//      content's SHA-256 is `digests[i]`.
//
// Writing needs every digest before the first item, so the writer walks its items twice (an
// item provider that can be iterated twice, e.g. a list of file names read back from disk):
// memory stays bounded by one item plus the digests. Reading verifies the header signature
// once, then each item's digest as it streams past; items are yielded one at a time.
//
// `prev` chains a station's bundles: the SHA-256 of the previous bundle's plain bytes (the
// whole CBOR sequence, before any sealing). `readBundle` and `hashingStream` compute it while
// streaming. Verification uses node:crypto only (no libsodium here): signing is the caller's
// Sign1Signer.

import { createHash, hash } from "node:crypto";
import {
  byteStringHead,
  CborTag,
  type CborValue,
  decodeCbor,
  encodeCbor,
  readSequence,
  requireVersion,
} from "./cbor.js";
import type { Sign1Signer } from "./cose-sign1.js";
import { COSE_SIGN1_TAG, type KeyLookup, verifySign1 } from "./cose-verify.js";
import {
  BundleDigestMismatchError,
  BundleItemCountError,
  BundleMalformedError,
  CborError,
} from "./errors.js";

export const BUNDLE_VERSION = 1;
const SUPPORTED = [BUNDLE_VERSION] as const;
const DIGEST_LENGTH = 32;
const MAX_NAME_LENGTH = 256;
const DIGEST_BLOCK_BYTES = DIGEST_LENGTH * 4096;
/** Largest manifest item accepted by default (a manifest with several EK certs and chains). */
export const DEFAULT_MAX_ITEM_BYTES = 1024 * 1024;
/** Largest header accepted by default: about 480,000 digests. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** The header fields the caller chooses; `v`, `count` and `digests` are filled in. */
export interface BundleHeaderFields {
  /** Unique id of the bundle, e.g. a UUID. */
  bundle_id: string;
  /** The station's name (its key file's NAME). */
  station: string;
  /** 1, 2, 3… per station. */
  seq: number;
  /** SHA-256 of the station's previous bundle's plain bytes; null exactly when seq is 1. */
  prev: Uint8Array | null;
  /** Integer epoch seconds. */
  created_at: number;
}

/** A bundle header payload. */
export interface BundleHeader extends BundleHeaderFields {
  v: number;
  count: number;
  /** SHA-256 of each manifest item's content, in order. */
  digests: Uint8Array[];
}

/**
 * The manifest items of a bundle: an array, or a function returning a fresh iteration each time
 * it is called (it is called twice: once to hash, once to write; the two must agree).
 */
export type BundleItems = readonly Uint8Array[] | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array>);

/** SHA-256 in one call: node's one-shot `hash` skips the Hash object (~2 µs of an item's ~4). */
const sha256 = (bytes: Uint8Array): Uint8Array => hash("sha256", bytes, "buffer");

/**
 * Whether `item` hashes to `digest`. Compared as hex: a string result spares the ArrayBuffer
 * that a Buffer result costs (~1 µs per item, as much as the hash of a manifest).
 */
function hashesTo(item: Uint8Array, digest: Uint8Array): boolean {
  const expected = Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString("hex");
  return hash("sha256", item, "hex") === expected;
}

function iterate(items: BundleItems): AsyncIterable<Uint8Array> | Iterable<Uint8Array> {
  return typeof items === "function" ? items() : items;
}

function checkFields(
  f: BundleHeaderFields,
  count: number,
  digests: readonly Uint8Array[],
): string | undefined {
  if (typeof f.bundle_id !== "string" || f.bundle_id.length === 0 || f.bundle_id.length > MAX_NAME_LENGTH)
    return `bundle_id must be non-empty text of at most ${MAX_NAME_LENGTH} characters`;
  if (typeof f.station !== "string" || f.station.length === 0 || f.station.length > MAX_NAME_LENGTH)
    return `station must be non-empty text of at most ${MAX_NAME_LENGTH} characters`;
  if (!Number.isSafeInteger(f.seq) || f.seq < 1) return `seq must be an integer ≥ 1, not ${String(f.seq)}`;
  if (f.prev === null) {
    if (f.seq !== 1) return `prev is null but seq is ${f.seq}: only the first bundle (seq 1) has no prev`;
  } else if (!(f.prev instanceof Uint8Array) || f.prev.length !== DIGEST_LENGTH) {
    return "prev must be a 32-byte SHA-256 or null";
  } else if (f.seq === 1) {
    return "seq is 1 but prev is set: the first bundle of a station has prev null";
  }
  if (!Number.isSafeInteger(f.created_at) || f.created_at < 0)
    return "created_at must be integer epoch seconds";
  if (!Number.isSafeInteger(count) || count < 0) return "count must be a non-negative integer";
  if (digests.length !== count) return `count is ${count} but there are ${digests.length} digests`;
  for (let i = 0; i < digests.length; i++) {
    const d = digests[i];
    if (!(d instanceof Uint8Array) || d.length !== DIGEST_LENGTH)
      return `digests[${i}] is not a 32-byte SHA-256`;
  }
  return undefined;
}

/** Encodes a bundle header payload (deterministic CBOR), checking the fields first. */
export function encodeBundleHeader(fields: BundleHeaderFields, digests: readonly Uint8Array[]): Uint8Array {
  const problem = checkFields(fields, digests.length, digests);
  if (problem !== undefined) throw new BundleMalformedError(`bundle header: ${problem}`);
  return encodeCbor({
    v: BUNDLE_VERSION,
    bundle_id: fields.bundle_id,
    station: fields.station,
    seq: fields.seq,
    prev: fields.prev,
    created_at: fields.created_at,
    count: digests.length,
    digests: [...digests],
  });
}

const HEADER_KEYS = ["v", "bundle_id", "station", "seq", "prev", "created_at", "count", "digests"];

/**
 * Decodes and strictly checks a bundle header payload (the COSE_Sign1 payload bytes). The
 * digests and `prev` are views into `payload`, so the caller must not change it afterwards.
 */
export function decodeBundleHeader(payload: Uint8Array, maxBytes = DEFAULT_MAX_HEADER_BYTES): BundleHeader {
  let value: CborValue;
  try {
    value = decodeCbor(payload, { maxBytes, byteStringViews: true });
  } catch (e) {
    if (e instanceof CborError)
      throw new BundleMalformedError(`bundle header payload: ${e.message}`, undefined, { cause: e });
    throw e;
  }
  if (
    typeof value !== "object" ||
    value === null ||
    value instanceof Uint8Array ||
    value instanceof Map ||
    value instanceof CborTag ||
    Array.isArray(value)
  )
    throw new BundleMalformedError("bundle header payload is not a map with text keys");
  requireVersion(value, SUPPORTED, "bundle header");
  for (const k of Object.keys(value))
    if (!HEADER_KEYS.includes(k)) throw new BundleMalformedError(`bundle header has an unknown field "${k}"`);
  for (const k of HEADER_KEYS)
    if (!Object.hasOwn(value, k)) throw new BundleMalformedError(`bundle header has no field "${k}"`);
  const digests = value["digests"];
  if (!Array.isArray(digests)) throw new BundleMalformedError("bundle header: digests is not a list");
  const h = {
    v: value["v"],
    bundle_id: value["bundle_id"],
    station: value["station"],
    seq: value["seq"],
    prev: value["prev"],
    created_at: value["created_at"],
    count: value["count"],
    digests,
  } as BundleHeader;
  const problem = checkFields(h, h.count, h.digests);
  if (problem !== undefined) throw new BundleMalformedError(`bundle header: ${problem}`);
  return h;
}

/**
 * Writes a bundle as a stream of chunks: the signed header, then each item as a CBOR byte
 * string. Items are walked twice (hash, then write); an item that changed between the two
 * walks, or a different number of items, is refused.
 */
export async function* writeBundle(
  items: BundleItems,
  fields: BundleHeaderFields,
  signer: Sign1Signer,
): AsyncGenerator<Uint8Array, void, undefined> {
  // The digests live side by side in a few large buffers, not in one small buffer each: a
  // bundle of 100,000 manifests would otherwise hold 100,000 separate allocations.
  const digests: Uint8Array[] = [];
  let block = new Uint8Array(0);
  for await (const item of iterate(items)) {
    const at = (digests.length * DIGEST_LENGTH) % DIGEST_BLOCK_BYTES;
    if (at === 0) block = new Uint8Array(DIGEST_BLOCK_BYTES);
    const digest = block.subarray(at, at + DIGEST_LENGTH);
    digest.set(sha256(item));
    digests.push(digest);
  }
  yield signer(encodeBundleHeader(fields, digests));
  let index = 0;
  for await (const item of iterate(items)) {
    const expected = digests[index];
    if (expected === undefined) throw new BundleItemCountError(index, digests.length, "extra");
    if (!hashesTo(item, expected)) throw new BundleDigestMismatchError(index);
    yield byteStringHead(item.length);
    yield item;
    index++;
  }
  if (index !== digests.length) throw new BundleItemCountError(index, digests.length, "missing");
}

/** Writes a whole bundle into memory (small bundles, tests). */
export async function buildBundle(
  items: BundleItems,
  fields: BundleHeaderFields,
  signer: Sign1Signer,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of writeBundle(items, fields, signer)) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

/** SHA-256 of a plain bundle's bytes, the `prev` of the station's next bundle. */
export async function bundleDigest(
  source: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const h = createHash("sha256");
  if (source instanceof Uint8Array) h.update(source);
  else for await (const c of source) h.update(c);
  return new Uint8Array(h.digest());
}

/**
 * Passes a stream through unchanged while hashing it: `digest()` is the SHA-256 of everything
 * that went through, available once the stream has ended (e.g. hash while writing the file).
 */
export function hashingStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): {
  stream: AsyncIterable<Uint8Array>;
  digest: () => Uint8Array;
} {
  const h = createHash("sha256");
  let result: Uint8Array | undefined;
  return {
    stream: (async function* () {
      for await (const c of source) {
        h.update(c);
        yield c;
      }
      result = new Uint8Array(h.digest());
    })(),
    digest: () => {
      if (result === undefined) throw new Error("the bundle stream has not been read to its end yet");
      return result;
    },
  };
}

/** A manifest item read from a bundle, its digest already checked. */
export interface BundleItem {
  index: number;
  /** The encoded manifest COSE_Sign1 (the byte string's content). */
  bytes: Uint8Array;
}

export interface ReadBundleOptions {
  /** Looks up a station's Ed25519 public key by kid (the stations the registrar trusts). */
  stationKeys: KeyLookup;
  /** Largest manifest item, in bytes. Default 1 MiB. */
  maxItemBytes?: number;
  /** Largest header, in bytes. Default 16 MiB. */
  maxHeaderBytes?: number;
}

export interface OpenedBundle {
  header: BundleHeader;
  /** kid of the station key that signed the header. */
  kid: Uint8Array;
  /**
   * The manifest items, one at a time, each checked against its digest before it is yielded.
   * A missing item, an extra one, or one that does not match throws a BundleError naming the
   * index. Iterate it once.
   */
  items: AsyncIterable<BundleItem>;
  /** SHA-256 of the whole plain bundle; available once `items` has been read to its end. */
  digest: () => Uint8Array;
}

/**
 * Reads a plain bundle from a stream: verifies the header's signature (CoseError subclasses)
 * and payload (BundleMalformedError, FormatVersionError) before returning, then checks each
 * item as `items` is iterated.
 */
export async function readBundle(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ReadBundleOptions,
): Promise<OpenedBundle> {
  const maxItemBytes = options.maxItemBytes ?? DEFAULT_MAX_ITEM_BYTES;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const whole = createHash("sha256"); // the digest of the whole plain bundle
  const seq = readSequence(source, {
    maxBytes: Math.max(maxItemBytes + 9, maxHeaderBytes),
    allowTags: [COSE_SIGN1_TAG],
  });
  const wrap = async <T>(f: () => Promise<T>, index?: number): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof CborError)
        throw new BundleMalformedError(
          `${index === undefined ? "bundle header" : `bundle item ${index}`}: ${e.message}`,
          index,
          { cause: e },
        );
      throw e;
    }
  };
  const first = await wrap(() => seq.next());
  if (first.done) throw new BundleMalformedError("the bundle is empty (no header)");
  const kind = detectKind(first.value.value);
  if (kind === "sealed")
    throw new BundleMalformedError("this is a sealed bundle: open it with the registrar's X25519 key first");
  if (kind === "manifest") throw new BundleMalformedError("this is a single device manifest, not a bundle");
  whole.update(first.value.bytes);
  const verified = verifySign1(first.value.bytes, options.stationKeys, maxHeaderBytes);
  const header = decodeBundleHeader(verified.payload, maxHeaderBytes);
  let digest: Uint8Array | undefined;
  let used = false;

  async function* items(): AsyncGenerator<BundleItem, void, undefined> {
    if (used) throw new Error("the items of a bundle can be iterated only once");
    used = true;
    for (let index = 0; ; index++) {
      const next = await wrap(async () => {
        try {
          return await seq.next();
        } catch (e) {
          // A stream cut inside an item is a missing item, when the header expects one.
          if (e instanceof CborError && index < header.count && /truncated/.test(e.message))
            throw new BundleItemCountError(index, header.count, "missing");
          throw e;
        }
      }, index);
      if (next.done) {
        if (index < header.count) throw new BundleItemCountError(index, header.count, "missing");
        break;
      }
      if (index >= header.count) throw new BundleItemCountError(index, header.count, "extra");
      const { value, bytes } = next.value;
      if (!(value instanceof Uint8Array))
        throw new BundleMalformedError(`bundle item ${index} is not a byte string`, index);
      if (value.length > maxItemBytes)
        throw new BundleMalformedError(`bundle item ${index} is larger than ${maxItemBytes} bytes`, index);
      if (!hashesTo(value, header.digests[index]!)) throw new BundleDigestMismatchError(index);
      whole.update(bytes);
      yield { index, bytes: value };
    }
    digest = new Uint8Array(whole.digest());
  }

  return {
    header,
    kid: verified.kid,
    items: items(),
    digest: () => {
      if (digest === undefined) throw new Error("the bundle has not been read to its end yet");
      return digest;
    },
  };
}

/** What a file is, told by the content of its first CBOR item (DESIGN §5). */
export type FormatKind = "sealed" | "bundle" | "manifest";

/**
 * Tells the kinds of file apart by the first item's decoded value: a map with `sealed_to` is a
 * sealed bundle; a COSE_Sign1 whose payload has `bundle_id` is a bundle header, one whose
 * payload has `eks` is a device manifest. Returns undefined for anything else. No signature is
 * checked here.
 */
export function detectKind(firstItem: CborValue): FormatKind | undefined {
  const has = (v: CborValue, key: string): boolean =>
    v instanceof Map
      ? v.has(key)
      : typeof v === "object" &&
        v !== null &&
        !(v instanceof Uint8Array) &&
        !(v instanceof CborTag) &&
        !Array.isArray(v) &&
        Object.hasOwn(v, key);
  if (has(firstItem, "sealed_to")) return "sealed";
  if (!(firstItem instanceof CborTag) || firstItem.tag !== COSE_SIGN1_TAG) return undefined;
  const parts = firstItem.value;
  if (!Array.isArray(parts) || parts.length !== 4 || !(parts[2] instanceof Uint8Array)) return undefined;
  let payload: CborValue;
  try {
    payload = decodeCbor(parts[2], { maxBytes: DEFAULT_MAX_HEADER_BYTES });
  } catch {
    return undefined;
  }
  if (has(payload, "bundle_id")) return "bundle";
  if (has(payload, "eks")) return "manifest";
  return undefined;
}
