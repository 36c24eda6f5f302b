// What check-pool.ts and check-worker.ts send each other, in forms that are cheap to pass
// between threads. Structured cloning a batch item by item (one ArrayBuffer per manifest on
// the way there; a dozen objects and two ArrayBuffers per device on the way back) cost about
// 18 µs of CPU per device, as much as a tenth of an import. Instead:
// - a batch travels as ONE ArrayBuffer holding its manifests end to end, transferred (not
//   copied) to the worker, with their indexes and lengths;
// - its results come back as ONE JSON text of small arrays, and the EK `pub` and `cert` of an
//   accepted device as their offsets in its manifest, which the main thread still holds: the
//   rows to insert are views of those bytes, never copies.
import { type DeviceEk, offsetInManifest } from "../store/devices.js";
import type { CheckedItem, CheckInput } from "./check-item.js";

export interface WireBatch {
  station: string;
  /** The manifests, end to end. */
  bytes: ArrayBuffer;
  /** Per manifest: its item index, then its length in `bytes`. */
  layout: Uint32Array;
}

/** Packs items into one buffer; `transfer` lists what postMessage should move rather than copy. */
export function packBatch(
  station: string,
  items: readonly CheckInput[],
): { batch: WireBatch; transfer: ArrayBuffer[] } {
  let total = 0;
  for (const item of items) total += item.bytes.length;
  const bytes = new Uint8Array(total);
  const layout = new Uint32Array(2 * items.length);
  let at = 0;
  items.forEach((item, i) => {
    bytes.set(item.bytes, at);
    at += item.bytes.length;
    layout[2 * i] = item.index;
    layout[2 * i + 1] = item.bytes.length;
  });
  return { batch: { station, bytes: bytes.buffer, layout }, transfer: [bytes.buffer, layout.buffer] };
}

/** The items of a packed batch, each a view of the batch's buffer. */
export function unpackBatch(batch: WireBatch): CheckInput[] {
  const items: CheckInput[] = [];
  let at = 0;
  for (let i = 0; i < batch.layout.length; i += 2) {
    const length = batch.layout[i + 1]!;
    items.push({ index: batch.layout[i]!, bytes: new Uint8Array(batch.bytes, at, length) });
    at += length;
  }
  return items;
}

/** An EK of an accepted device: ekPubSha256, alg, template, pub offset, pub length, cert offset, cert length (-1: null), certNv. */
type WireEk = [string, string | null, string | null, number, number, number, number, number | null];

/**
 * One result: a refused device is [serial, problem, [[template, sha]…]]; an accepted one is
 * [serial, null, hwUuid, model, capturedAt, manufacturer, vendor, fw, WireEk[]].
 */
type WireResult =
  | [string | null, string, [string, string][]]
  | [string, null, string | null, string | null, number, string, string, string, WireEk[]];

/** Where `part` lies in `whole` (a byte string of the manifest is a run of its bytes). */
function offsetIn(whole: Uint8Array, part: Uint8Array): number {
  // A view of the manifest (check-item.ts decodes with views) says where it is.
  const view = offsetInManifest(whole, part);
  if (view !== undefined) return view;
  const at = Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength).indexOf(
    Buffer.from(part.buffer, part.byteOffset, part.byteLength),
  );
  if (at < 0) throw new Error("an EK's bytes are not part of its manifest");
  return at;
}

/**
 * Encodes one item's result. Each result is encoded as soon as it is made, so that the
 * objects of its checks die young (the worker's scavenges stay cheap) and a batch holds only
 * short strings until it is sent.
 */
export function encodeResult(item: CheckInput, r: CheckedItem): string {
  const d = r.device;
  if (d === null)
    return JSON.stringify([r.serial, r.problem ?? "not checked", r.eks.map((ek) => [ek.template, ek.sha])]);
  const eks = d.eks.map((ek): WireEk => {
    const pub = ek.ekPub!;
    return [
      ek.ekPubSha256,
      ek.alg,
      ek.template,
      offsetIn(item.bytes, pub),
      pub.length,
      ek.cert === null ? 0 : offsetIn(item.bytes, ek.cert),
      ek.cert === null ? -1 : ek.cert.length,
      ek.certNv,
    ];
  });
  const wire: WireResult = [
    d.serial,
    null,
    d.hwUuid,
    d.model,
    d.capturedAt,
    d.tpm.manufacturer,
    d.tpm.vendor,
    d.tpm.fw,
    eks,
  ];
  return JSON.stringify(wire);
}

/** The results of a batch, from encodeResult of each item in order, as one JSON text. */
export const joinResults = (encoded: readonly string[]): string => `[${encoded.join(",")}]`;

/** The results joinResults made, with EK bytes as views of the main thread's `items`. */
export function decodeResults(items: readonly CheckInput[], json: string): CheckedItem[] {
  const wire = JSON.parse(json) as WireResult[];
  if (wire.length !== items.length) throw new Error(`${wire.length} results for ${items.length} items`);
  return wire.map((w, i): CheckedItem => {
    const index = items[i]!.index;
    if (w[1] !== null)
      return {
        index,
        serial: w[0],
        eks: w[2].map(([template, sha]) => ({ template, sha })),
        problem: w[1],
        device: null,
      };
    const [serial, , hwUuid, model, capturedAt, manufacturer, vendor, fw, wireEks] = w;
    const manifest = items[i]!.bytes;
    const eks = wireEks.map(
      ([ekPubSha256, alg, template, pubAt, pubLength, certAt, certLength, certNv]): DeviceEk => ({
        ekPubSha256,
        alg,
        template,
        ekPub: manifest.subarray(pubAt, pubAt + pubLength),
        cert: certLength < 0 ? null : manifest.subarray(certAt, certAt + certLength),
        certNv,
      }),
    );
    return {
      index,
      serial,
      eks: eks.map((ek) => ({ template: ek.template!, sha: ek.ekPubSha256 })),
      problem: null,
      device: { serial, hwUuid, model, capturedAt, tpm: { manufacturer, vendor, fw }, eks },
    };
  });
}
