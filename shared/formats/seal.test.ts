import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildBundle, readBundle } from "./bundle.js";
import { decodeSequence, encodeCbor } from "./cbor.js";
import { sign1Signer, signSign1 } from "./cose-sign1.js";
import { kidOf } from "./cose-verify.js";
import { SealCorruptError, SealTrailingDataError, SealTruncatedError, SealWrongKeyError } from "./errors.js";
import { rawPublicKey, sodiumEd25519KeyPair } from "./keys.js";
import { detectKind, openStream, SEAL_CHUNK_BYTES, sealStream } from "./seal.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(b).digest());

const registrar = generateKeyPairSync("x25519");
const other = generateKeyPairSync("x25519");
const station = generateKeyPairSync("ed25519");
const stationPair = sodiumEd25519KeyPair(station.privateKey);
const stationKeys = () => station.publicKey;

async function collect(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  for await (const x of it) out.push(x);
  return new Uint8Array(Buffer.concat(out));
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

const seal = (plain: Uint8Array, to = registrar.publicKey) => collect(sealStream(pieces(plain, 1000), to));
const open = (sealed: Uint8Array, pair: { publicKey: unknown; privateKey: unknown } = registrar) =>
  collect(openStream(pieces(sealed, 4096), pair as typeof registrar));

function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; chunk?: number }> {
  return p.then(
    () => {
      throw new Error("expected an error");
    },
    (e: unknown) => e as Error & { code?: string },
  );
}

async function smallBundle(seq = 1, prev: Uint8Array | null = null): Promise<Uint8Array> {
  const items: Uint8Array[] = [];
  for (let i = 0; i < 2; i++)
    items.push(await signSign1(encodeCbor({ v: 1, serial: `S${i}`, eks: [] }), stationPair));
  return buildBundle(
    items,
    { bundle_id: `b-${seq}`, station: "line-1", seq, prev, created_at: 1_790_000_000 },
    await sign1Signer(stationPair),
  );
}

describe("sealed bundles", () => {
  it("round trips a bundle and large or empty plaintexts", async () => {
    const plain = await smallBundle();
    const sealed = await seal(plain);
    const items = decodeSequence(sealed);
    expect(items).toHaveLength(2);
    expect(detectKind(items[0]!.value)).toBe("sealed");
    const header = items[0]!.value as Record<string, Uint8Array>;
    expect(hex(header["sealed_to"]!)).toBe(hex(kidOf(rawPublicKey(registrar.publicKey))));
    expect(header["key"]).toHaveLength(80);
    expect(header["stream_header"]).toHaveLength(24);
    expect(hex(await open(sealed))).toBe(hex(plain));
    // Raw keys work too.
    const raw = await collect(
      openStream([sealed], {
        publicKey: rawPublicKey(registrar.publicKey),
        privateKey: registrar.privateKey,
      }),
    );
    expect(hex(raw)).toBe(hex(plain));

    for (const size of [0, 1, SEAL_CHUNK_BYTES, SEAL_CHUNK_BYTES + 1, 3 * SEAL_CHUNK_BYTES - 7]) {
      const data = new Uint8Array(randomBytes(size));
      const s = await seal(data);
      const chunks = decodeSequence(s).slice(1);
      expect(chunks).toHaveLength(Math.max(1, Math.ceil(size / SEAL_CHUNK_BYTES)));
      for (const c of chunks)
        expect((c.value as Uint8Array).length).toBeLessThanOrEqual(SEAL_CHUNK_BYTES + 17);
      expect(hex(sha256(await open(s)))).toBe(hex(sha256(data)));
    }
  });

  it("opens only with the registrar's secret key", async () => {
    const sealed = await seal(await smallBundle());
    const wrong = await errorOf(open(sealed, other));
    expect(wrong).toBeInstanceOf(SealWrongKeyError);
    expect(wrong.message).toContain(hex(kidOf(rawPublicKey(registrar.publicKey))));
    // Claiming the registrar's public key with another private key does not help.
    const forged = await errorOf(
      open(sealed, { publicKey: registrar.publicKey, privateKey: other.privateKey }),
    );
    expect(forged).toBeInstanceOf(SealWrongKeyError);
    expect(forged.message).toMatch(/does not open it/);
  });

  it("detects a flipped byte anywhere in a sealed bundle", async () => {
    const plain = await smallBundle();
    const sealed = await seal(plain);
    for (let pos = 0; pos < sealed.length; pos++) {
      const bad = sealed.slice();
      bad[pos]! ^= 0x04;
      const e = await errorOf(open(bad));
      expect(e.code, `position ${pos}: ${e.message}`).toMatch(/^(SEAL|CBOR|FORMAT)_/);
    }
    // And a large multi-chunk one, at sampled positions.
    const big = await seal(new Uint8Array(randomBytes(2 * SEAL_CHUNK_BYTES + 100)));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: big.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (pos, mask) => {
          const bad = big.slice();
          bad[pos]! ^= mask;
          const e = await errorOf(open(bad));
          expect(e.code).toMatch(/^(SEAL|CBOR|FORMAT)_/);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("refuses a truncated stream and data after the final chunk", async () => {
    const sealed = await seal(new Uint8Array(randomBytes(SEAL_CHUNK_BYTES + 10)));
    const items = decodeSequence(sealed);
    expect(items).toHaveLength(3);
    const withoutFinal = Buffer.concat(items.slice(0, 2).map((i) => i.bytes));
    const t = await errorOf(open(withoutFinal));
    expect(t).toBeInstanceOf(SealTruncatedError);
    expect(t.chunk).toBe(1);
    await expect(open(sealed.subarray(0, sealed.length - 3))).rejects.toBeInstanceOf(SealTruncatedError);
    const headerOnly = items[0]!.bytes;
    await expect(open(headerOnly)).rejects.toBeInstanceOf(SealTruncatedError);
    await expect(open(Buffer.concat([sealed, encodeCbor(new Uint8Array(20))]))).rejects.toBeInstanceOf(
      SealTrailingDataError,
    );
    // Dropping a middle chunk breaks authentication of the next one.
    const dropped = Buffer.concat([items[0]!.bytes, items[2]!.bytes]);
    await expect(open(dropped)).rejects.toBeInstanceOf(SealCorruptError);
  });

  it("chains on the plain bytes whether or not the first bundle was sealed", async () => {
    const plain1 = await smallBundle(1, null);
    const sealed1 = await seal(plain1);
    const opened = await collect(openStream([sealed1], registrar));
    const b1 = await readBundle(openStream([sealed1], registrar), { stationKeys });
    for await (const _ of b1.items) {
      // read to the end
    }
    expect(hex(b1.digest())).toBe(hex(sha256(plain1)));
    expect(hex(sha256(opened))).toBe(hex(sha256(plain1)));
    const plain2 = await smallBundle(2, b1.digest());
    const b2 = await readBundle(openStream([await seal(plain2)], registrar), { stationKeys });
    expect(hex(b2.header.prev!)).toBe(hex(sha256(plain1)));
    // A sealed file handed to the plain reader says what it is.
    await expect(readBundle([sealed1], { stationKeys })).rejects.toThrow(/sealed bundle/);
  });
});
