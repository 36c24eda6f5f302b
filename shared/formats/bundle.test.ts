import { createHash, generateKeyPairSync, type KeyObject, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type BundleHeaderFields,
  buildBundle,
  bundleDigest,
  decodeBundleHeader,
  detectKind,
  encodeBundleHeader,
  hashingStream,
  readBundle,
  writeBundle,
} from "./bundle.js";
import { CborTag, decodeSequence, encodeCbor } from "./cbor.js";
import { type Sign1Signer, sign1Signer, signSign1 } from "./cose-sign1.js";
import { kidOf } from "./cose-verify.js";
import {
  BundleDigestMismatchError,
  BundleItemCountError,
  BundleMalformedError,
  CoseBadSignatureError,
  CoseUnknownKidError,
  FormatVersionError,
} from "./errors.js";
import { rawPublicKey, sodiumEd25519KeyPair } from "./keys.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/ /g, ""), "hex"));
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

// Hand-written CBOR heads, independent of cbor.ts, for the Sig_structure.
function head(major: number, n: number): string {
  const m = major << 5;
  if (n < 24) return (m | n).toString(16).padStart(2, "0");
  if (n < 0x100) return (m | 24).toString(16) + n.toString(16).padStart(2, "0");
  if (n < 0x10000) return (m | 25).toString(16) + n.toString(16).padStart(4, "0");
  return (m | 26).toString(16) + n.toString(16).padStart(8, "0");
}
const bstr = (b: Uint8Array): string => head(2, b.length) + hex(b);

const station = generateKeyPairSync("ed25519");
const stationPair = sodiumEd25519KeyPair(station.privateKey);
const stationKid = kidOf(rawPublicKey(station.publicKey));
const stationKeys = (kid: Uint8Array): KeyObject | undefined =>
  hex(kid) === hex(stationKid) ? station.publicKey : undefined;
const signerP: Promise<Sign1Signer> = sign1Signer(stationPair);

const fields = (seq: number, prev: Uint8Array | null): BundleHeaderFields => ({
  bundle_id: `00000000-0000-4000-8000-00000000000${seq}`,
  station: "line-1",
  seq,
  prev,
  created_at: 1_790_000_000 + seq,
});

async function fakeManifests(n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++)
    out.push(await signSign1(encodeCbor({ v: 1, serial: `SN-${i}`, eks: [] }), stationPair));
  return out;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Reads a whole bundle; returns the items or throws. */
async function readAll(bytes: Uint8Array, chunk = 97): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += chunk) chunks.push(bytes.subarray(i, i + chunk));
  const b = await readBundle(chunks, { stationKeys });
  return (await collect(b.items)).map((x) => x.bytes);
}

function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; index?: number }> {
  return p.then(
    () => {
      throw new Error("expected an error");
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

describe("bundle", () => {
  it("round trips a few manifests, streaming, with the header and digest", async () => {
    const items = await fakeManifests(3);
    const plain = await buildBundle(items, fields(1, null), await signerP);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < plain.length; i += 50) chunks.push(plain.subarray(i, i + 50));
    const b = await readBundle(chunks, { stationKeys });
    expect(b.header).toMatchObject({ v: 1, station: "line-1", seq: 1, prev: null, count: 3 });
    expect(b.header.digests.map(hex)).toEqual(items.map((i) => hex(sha256(i))));
    expect(hex(b.kid)).toBe(hex(stationKid));
    expect(() => b.digest()).toThrow(/not been read/);
    const got = await collect(b.items);
    expect(got.map((x) => x.index)).toEqual([0, 1, 2]);
    expect(got.map((x) => hex(x.bytes))).toEqual(items.map(hex));
    expect(hex(b.digest())).toBe(hex(sha256(plain)));
    expect(hex(await bundleDigest(plain))).toBe(hex(sha256(plain)));
    // Each item is a CBOR byte string holding the manifest.
    const seq = decodeSequence(plain, { allowTags: [18] });
    expect(seq).toHaveLength(4);
    expect(seq.slice(1).map((s) => hex(s.value as Uint8Array))).toEqual(items.map(hex));
    expect(detectKind(seq[0]!.value)).toBe("bundle");
    expect(detectKind(decodeSequence(items[0]!, { allowTags: [18] })[0]!.value)).toBe("manifest");
    expect(detectKind({ v: 1 })).toBeUndefined();
  });

  it("writes an empty bundle and refuses an empty file", async () => {
    const plain = await buildBundle([], fields(1, null), await signerP);
    expect(await readAll(plain)).toEqual([]);
    const e = await errorOf(readAll(new Uint8Array(0)));
    expect(e).toBeInstanceOf(BundleMalformedError);
  });

  it("signs the header so that an independent Sig_structure verifies with node:crypto", async () => {
    const plain = await buildBundle(await fakeManifests(2), fields(1, null), await signerP);
    const first = decodeSequence(plain, { allowTags: [18] })[0]!.value;
    expect(first).toBeInstanceOf(CborTag);
    const [prot, , payload, sig] = (first as CborTag).value as [Uint8Array, unknown, Uint8Array, Uint8Array];
    // Protected header {1: -8, 4: kid}, written by hand.
    expect(hex(prot)).toBe(`a20127 04${bstr(stationKid)}`.replace(/ /g, ""));
    const sigStructure = unhex(
      `84 ${head(3, 10)}${hex(Buffer.from("Signature1"))} ${bstr(prot)} 40 ${bstr(payload)}`,
    );
    expect(verify(null, sigStructure, station.publicKey, sig)).toBe(true);
    const h = decodeBundleHeader(payload);
    expect(h.count).toBe(2);
  });

  it("detects a flipped byte at every position of a plain bundle, with a named error", async () => {
    const plain = await buildBundle(
      await fakeManifests(3),
      fields(2, sha256(Uint8Array.of(1))),
      await signerP,
    );
    const codes = new Set<string>();
    for (let pos = 0; pos < plain.length; pos++) {
      for (const mask of [0x01, 0x80]) {
        const bad = plain.slice();
        bad[pos]! ^= mask;
        const e = await errorOf(readAll(bad));
        expect(e.code, `position ${pos} mask ${mask}: ${e.message}`).toMatch(/^(CBOR|COSE|BUNDLE|FORMAT)_/);
        codes.add(e.code!);
      }
    }
    expect(codes).toContain("BUNDLE_DIGEST_MISMATCH");
    expect(codes).toContain("COSE_BAD_SIGNATURE");
  });

  it("names the index of a missing, extra or altered item", async () => {
    const items = await fakeManifests(3);
    const plain = await buildBundle(items, fields(1, null), await signerP);
    const lastItemLength = encodeCbor(items[2]!).length;
    const missing = await errorOf(readAll(plain.subarray(0, plain.length - lastItemLength)));
    expect(missing).toBeInstanceOf(BundleItemCountError);
    expect(missing.index).toBe(2);
    const cut = await errorOf(readAll(plain.subarray(0, plain.length - 5)));
    expect(cut).toBeInstanceOf(BundleItemCountError);
    expect(cut.message).toMatch(/item 2 is missing/);
    const extra = await errorOf(readAll(Buffer.concat([plain, encodeCbor(items[0]!)])));
    expect(extra).toBeInstanceOf(BundleItemCountError);
    expect(extra.index).toBe(3);
    // Swap items 1 and 2: same lengths, wrong order.
    const swapped = await buildBundle([items[0]!, items[2]!, items[1]!], fields(1, null), await signerP);
    const seq = decodeSequence(swapped, { allowTags: [18] });
    const mixed = Buffer.concat([
      decodeSequence(plain, { allowTags: [18] })[0]!.bytes,
      ...seq.slice(1).map((s) => s.bytes),
    ]);
    const mismatch = await errorOf(readAll(mixed));
    expect(mismatch).toBeInstanceOf(BundleDigestMismatchError);
    expect(mismatch.index).toBe(1);
    expect(mismatch.message).toMatch(/item 1/);
  });

  it("refuses an unknown station, a wrong key and a bad header payload", async () => {
    const plain = await buildBundle(await fakeManifests(1), fields(1, null), await signerP);
    await expect(readBundle([plain], { stationKeys: () => undefined })).rejects.toBeInstanceOf(
      CoseUnknownKidError,
    );
    const other = generateKeyPairSync("ed25519").publicKey;
    await expect(readBundle([plain], { stationKeys: () => other })).rejects.toBeInstanceOf(
      CoseBadSignatureError,
    );
    const signer = await signerP;
    const good = encodeBundleHeader(fields(1, null), []);
    const payloads: [Record<string, unknown>, RegExp | typeof FormatVersionError][] = [
      [{ ...(decodeSequence(good)[0]!.value as object), v: 2 }, FormatVersionError],
      [{ ...(decodeSequence(good)[0]!.value as object), extra: 1 }, /unknown field "extra"/],
      [{ ...(decodeSequence(good)[0]!.value as object), count: 1 }, /count is 1 but there are 0 digests/],
      [{ ...(decodeSequence(good)[0]!.value as object), seq: 2 }, /prev is null but seq is 2/],
      [{ ...(decodeSequence(good)[0]!.value as object), prev: new Uint8Array(31), seq: 2 }, /prev must be/],
      [
        { ...(decodeSequence(good)[0]!.value as object), digests: [new Uint8Array(3)], count: 1 },
        /digests\[0\]/,
      ],
      [{ ...(decodeSequence(good)[0]!.value as object), station: "" }, /station/],
    ];
    for (const [p, want] of payloads) {
      // biome-ignore lint/suspicious/noExplicitAny: test payloads outside the type
      const header = signer(encodeCbor(p as any));
      const r = readBundle([header], { stationKeys });
      if (want instanceof RegExp) await expect(r).rejects.toThrow(want);
      else await expect(r).rejects.toBeInstanceOf(want);
    }
    expect(() => encodeBundleHeader({ ...fields(1, null), created_at: 1.5 }, [])).toThrow(
      BundleMalformedError,
    );
  });

  it("refuses items that change between the hashing and the writing pass", async () => {
    const items = await fakeManifests(2);
    let pass = 0;
    const provider = () => {
      pass++;
      return pass === 1 ? items : [items[1]!, items[0]!];
    };
    await expect(buildBundle(provider, fields(1, null), await signerP)).rejects.toBeInstanceOf(
      BundleDigestMismatchError,
    );
  });

  it("chains two bundles: prev is the SHA-256 of the first's plain bytes", async () => {
    const signer = await signerP;
    const first = hashingStream(writeBundle(await fakeManifests(2), fields(1, null), signer));
    const plain1 = Buffer.concat(await collect(first.stream));
    expect(hex(first.digest())).toBe(hex(sha256(plain1)));
    const plain2 = await buildBundle(await fakeManifests(1), fields(2, first.digest()), signer);
    const b1 = await readBundle([plain1], { stationKeys });
    await collect(b1.items);
    const b2 = await readBundle([plain2], { stationKeys });
    expect(b2.header.seq).toBe(2);
    expect(hex(b2.header.prev!)).toBe(hex(b1.digest()));
  });

  it("streams 20,000 items through read lazily", async () => {
    const n = 20_000;
    const provider = function* () {
      for (let i = 0; i < n; i++) yield encodeCbor({ v: 1, i });
    };
    let produced = 0;
    const source = (async function* () {
      for await (const c of writeBundle(provider, fields(1, null), await signerP)) {
        produced++;
        yield c;
      }
    })();
    const b = await readBundle(source, { stationKeys });
    expect(b.header.count).toBe(n);
    let count = 0;
    let producedAtFirst = -1;
    for await (const item of b.items) {
      if (count === 0) producedAtFirst = produced;
      if (item.index !== count) throw new Error(`item ${item.index} came out as number ${count}`);
      count++;
    }
    expect(count).toBe(n);
    // The writer yields 2 chunks per item: the reader had pulled only a handful when the first item came out.
    expect(producedAtFirst).toBeLessThan(10);
    expect(produced).toBe(1 + 2 * n);
    expect(b.digest()).toHaveLength(32);
  });
});
