// Sealed bundles (DESIGN §5 "Sealed form"), for the registrar's eyes only.
//
// A CBOR sequence of
//   1. a header {v, sealed_to, key, stream_header}: `sealed_to` is the kid of the registrar's
//      X25519 public key (first 16 bytes of SHA-256 of its raw 32 bytes), `key` the
//      crypto_box_seal of a fresh crypto_secretstream_xchacha20poly1305 key to that public key
//      (80 bytes), `stream_header` the 24-byte secretstream header;
//   2. secretstream chunks of the plain bundle, each a CBOR byte string holding the ciphertext
//      of at most 64 KiB of plaintext; the last chunk, and only it, is tagged TAG_FINAL.
// A stream that ends before TAG_FINAL is truncated and refused; anything after it is refused.
// Both directions stream: memory is one chunk at a time.

import type { KeyObject } from "node:crypto";
import sodium from "libsodium-wrappers";
import { byteStringHead, CborTag, type CborValue, encodeCbor, readSequence, requireVersion } from "./cbor.js";
import { kidOf } from "./cose-verify.js";
import {
  CborError,
  SealCorruptError,
  SealMalformedError,
  SealTrailingDataError,
  SealTruncatedError,
  SealWrongKeyError,
} from "./errors.js";
import { rawPrivateKey, rawPublicKey } from "./keys.js";

export { detectKind, type FormatKind } from "./bundle.js";

export const SEAL_VERSION = 1;
/** Most plaintext bytes in one chunk. */
export const SEAL_CHUNK_BYTES = 64 * 1024;
const KID_LENGTH = 16;
const STREAM_HEADER_BYTES = 24;
const SEALED_KEY_BYTES = 32 + 48; // secretstream key + crypto_box_SEALBYTES
const CHUNK_OVERHEAD = 17; // crypto_secretstream_xchacha20poly1305_ABYTES

/** An X25519 key: a node KeyObject or its raw 32 bytes. */
export type X25519Key = KeyObject | Uint8Array;

function raw(key: X25519Key, part: "public" | "private"): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== 32)
      throw new TypeError(`a raw X25519 ${part} key is 32 bytes, this one is ${key.length}`);
    return key;
  }
  if (key.asymmetricKeyType !== "x25519")
    throw new TypeError(`expected an X25519 key, got ${String(key.asymmetricKeyType)}`);
  return part === "public" ? rawPublicKey(key) : rawPrivateKey(key);
}

/** Re-chunks a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* rechunk(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  size: number,
): AsyncGenerator<Uint8Array, void, undefined> {
  let buf = new Uint8Array(size);
  let fill = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(size - fill, chunk.length - at);
      buf.set(chunk.subarray(at, at + n), fill);
      fill += n;
      at += n;
      if (fill === size) {
        yield buf;
        buf = new Uint8Array(size);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield buf.subarray(0, fill);
}

/** A sealed chunk as a CBOR byte string: its head, then the ciphertext itself (not a copy). */
function* asByteString(ciphertext: Uint8Array): Generator<Uint8Array> {
  yield byteStringHead(ciphertext.length);
  yield ciphertext;
}

/** Seals a plain bundle stream to the registrar's X25519 public key. */
export async function* sealStream(
  plain: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  registrarPublicKey: X25519Key,
): AsyncGenerator<Uint8Array, void, undefined> {
  await sodium.ready;
  const pub = raw(registrarPublicKey, "public");
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  yield encodeCbor({
    v: SEAL_VERSION,
    sealed_to: kidOf(pub),
    key: sodium.crypto_box_seal(key, pub),
    stream_header: header,
  });
  sodium.memzero(key);
  const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  // Hold one chunk back: only when the next one arrives, or the input ends, is it known
  // whether this one is the last.
  let held: Uint8Array | undefined;
  for await (const piece of rechunk(plain, SEAL_CHUNK_BYTES)) {
    if (held !== undefined)
      yield* asByteString(sodium.crypto_secretstream_xchacha20poly1305_push(state, held, null, TAG_MESSAGE));
    held = piece;
  }
  yield* asByteString(
    sodium.crypto_secretstream_xchacha20poly1305_push(state, held ?? new Uint8Array(0), null, TAG_FINAL),
  );
}

/** The sealed header, checked. */
export interface SealHeader {
  v: number;
  sealed_to: Uint8Array;
  key: Uint8Array;
  stream_header: Uint8Array;
}

const SEAL_KEYS = ["v", "sealed_to", "key", "stream_header"];

/** Checks a decoded sealed header (the first item of a sealed file). */
export function parseSealHeader(value: CborValue): SealHeader {
  if (
    typeof value !== "object" ||
    value === null ||
    value instanceof Uint8Array ||
    value instanceof Map ||
    value instanceof CborTag ||
    Array.isArray(value)
  )
    throw new SealMalformedError("sealed bundle header is not a map with text keys");
  requireVersion(value, [SEAL_VERSION], "sealed bundle header");
  for (const k of Object.keys(value))
    if (!SEAL_KEYS.includes(k))
      throw new SealMalformedError(`sealed bundle header has an unknown field "${k}"`);
  const bytesField = (name: string, length: number): Uint8Array => {
    const b = value[name];
    if (!(b instanceof Uint8Array) || b.length !== length)
      throw new SealMalformedError(`sealed bundle header: ${name} is not a ${length}-byte string`);
    return b;
  };
  return {
    v: SEAL_VERSION,
    sealed_to: bytesField("sealed_to", KID_LENGTH),
    key: bytesField("key", SEALED_KEY_BYTES),
    stream_header: bytesField("stream_header", STREAM_HEADER_BYTES),
  };
}

/** The registrar's X25519 key pair. */
export interface X25519KeyPair {
  publicKey: X25519Key;
  privateKey: X25519Key;
}

/**
 * Opens a sealed stream with the registrar's X25519 key pair and yields the plain bundle's
 * bytes, chunk by chunk, each authenticated before it is yielded. Throws SealWrongKeyError,
 * SealMalformedError, SealCorruptError (naming the chunk), SealTruncatedError or
 * SealTrailingDataError. Plain bytes already yielded are only trustworthy once the stream has
 * ended without an error.
 */
export async function* openStream(
  sealed: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  registrar: X25519KeyPair,
): AsyncGenerator<Uint8Array, void, undefined> {
  await sodium.ready;
  const pub = raw(registrar.publicKey, "public");
  const priv = raw(registrar.privateKey, "private");
  const ourKid = kidOf(pub);
  const items = readSequence(sealed, { maxBytes: SEAL_CHUNK_BYTES + CHUNK_OVERHEAD + 16 });
  const next = async (chunk: number | undefined) => {
    try {
      return await items.next();
    } catch (e) {
      if (e instanceof CborError) {
        if (chunk !== undefined && /truncated/.test(e.message))
          throw new SealTruncatedError(
            `sealed bundle is cut short inside chunk ${chunk}: ${e.message}`,
            chunk,
            {
              cause: e,
            },
          );
        throw new SealMalformedError(
          `sealed bundle ${chunk === undefined ? "header" : `chunk ${chunk}`}: ${e.message}`,
          chunk,
          { cause: e },
        );
      }
      throw e;
    }
  };
  const first = await next(undefined);
  if (first.done) throw new SealMalformedError("the sealed file is empty (no header)");
  const header = parseSealHeader(first.value.value);
  if (Buffer.compare(header.sealed_to, ourKid) !== 0) throw new SealWrongKeyError(header.sealed_to, ourKid);
  let key: Uint8Array;
  try {
    key = sodium.crypto_box_seal_open(header.key, pub, priv);
  } catch {
    throw new SealWrongKeyError(header.sealed_to, ourKid);
  }
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header.stream_header, key);
  sodium.memzero(key);
  const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  for (let chunk = 0; ; chunk++) {
    const item = await next(chunk);
    if (item.done)
      throw new SealTruncatedError(
        `sealed bundle ends after ${chunk} chunks without its final chunk: the file is truncated`,
        chunk,
      );
    const c = item.value.value;
    if (!(c instanceof Uint8Array))
      throw new SealMalformedError(`sealed chunk ${chunk} is not a byte string`, chunk);
    if (c.length < CHUNK_OVERHEAD)
      throw new SealCorruptError(`sealed chunk ${chunk} is too short to be a secretstream chunk`, chunk);
    const r = sodium.crypto_secretstream_xchacha20poly1305_pull(state, c, null);
    if (!r || (r.tag !== TAG_MESSAGE && r.tag !== TAG_FINAL))
      throw new SealCorruptError(
        `sealed chunk ${chunk} fails authentication: the sealed bundle was altered or damaged`,
        chunk,
      );
    if (r.message.length > 0) yield r.message;
    if (r.tag === TAG_FINAL) break;
  }
  let trailing: boolean;
  try {
    trailing = !(await items.next()).done;
  } catch {
    trailing = true;
  }
  if (trailing) throw new SealTrailingDataError("data follows the final chunk of the sealed bundle");
}
