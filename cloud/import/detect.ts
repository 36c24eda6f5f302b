// Tells a manifest, a bundle and a sealed bundle apart by content (DESIGN §5): the first CBOR
// item is read (and kept), its kind told by detectKind, and the stream handed back whole,
// the bytes already read first, so the importer reads it from its start.
import { DEFAULT_MAX_HEADER_BYTES, detectKind, type FormatKind } from "../../shared/formats/bundle.js";
import { type CborValue, readSequence } from "../../shared/formats/cbor.js";
import { COSE_SIGN1_TAG } from "../../shared/formats/cose-verify.js";
import { CborError } from "../../shared/formats/errors.js";
import { ImportError } from "./report.js";

export interface DetectedFile {
  kind: FormatKind;
  /** The whole file, from its first byte. Iterate it once. */
  stream: AsyncIterable<Uint8Array>;
}

/** Reads the first item of `source`; throws ImportError (IMPORT_MALFORMED) when it is none of the three. */
export async function detectFile(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<DetectedFile> {
  const it =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  const seen: Uint8Array[] = [];
  let ended = false;
  // The chunks read while looking are copied: a source may reuse its buffer.
  async function* recorded(): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        return;
      }
      const copy = new Uint8Array(r.value);
      seen.push(copy);
      yield copy;
    }
  }
  const items = readSequence(recorded(), { maxBytes: DEFAULT_MAX_HEADER_BYTES, allowTags: [COSE_SIGN1_TAG] });
  let first: CborValue | undefined;
  let empty = false;
  try {
    const r = await items.next();
    if (r.done) empty = true;
    else first = r.value.value;
  } catch (e) {
    if (e instanceof CborError)
      throw new ImportError(
        "IMPORT_MALFORMED",
        `the file is not a manifest, bundle or sealed bundle (DESIGN §5): its first CBOR item is not valid: ${e.message}`,
        { cause: e },
      );
    throw e;
  } finally {
    await items.return(undefined);
  }
  if (empty) throw new ImportError("IMPORT_MALFORMED", "the file is empty");
  const kind = first === undefined ? undefined : detectKind(first);
  if (kind === undefined)
    throw new ImportError(
      "IMPORT_MALFORMED",
      "the file is not a manifest, bundle or sealed bundle (DESIGN §5): its first item is neither a map with sealed_to nor a COSE_Sign1 whose payload has bundle_id or eks",
    );
  async function* whole(): AsyncGenerator<Uint8Array, void, undefined> {
    yield* seen;
    seen.length = 0;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { kind, stream: whole() };
}
