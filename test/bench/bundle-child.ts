// The child process of bundle.bench.ts, so that each phase's peak RSS is its own. The bench
// builds it with esbuild into one .mjs, as `npm run build` ships dist/factory.mjs and
// dist/registrar.mjs (DESIGN §2), and runs it with plain node:
//
//   node bundle-child.mjs build    DIR COUNT
//   node bundle-child.mjs bundle   DIR
//   node bundle-child.mjs baseline DIR
//
// (`node --import tsx test/bench/bundle-child.ts …` runs it from source, with tsx's own
// ~30 MB on top of every RSS figure.)
//
// build:    signs COUNT device manifests (one per serial, from a realistic template: RSA and
//           ECC EKs with certificates) into DIR/manifests.bin (4-byte length + bytes each) and
//           writes the keys to DIR/keys.json.
// bundle:   streams DIR/manifests.bin → writeBundle → sealStream → DIR/bundle.sealed, then
//           DIR/bundle.sealed → openStream → readBundle → verifyManifest of every item.
// baseline: the raw cost over the same bytes: read DIR/manifests.bin, SHA-256 it and push it
//           through crypto_secretstream in 64 KiB chunks into DIR/raw.sealed, then pull it
//           back and SHA-256 it again.
// Prints one JSON line: the phase's times in seconds and its peak RSS in bytes.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import sodium from "libsodium-wrappers";
import { readBundle, writeBundle } from "../../shared/formats/bundle.js";
import { sign1Signer } from "../../shared/formats/cose-sign1.js";
import { rawPrivateKey, rawPublicKey, sodiumEd25519KeyPair } from "../../shared/formats/keys.js";
import {
  encodeManifestPayload,
  type ManifestPayload,
  verifyManifest,
} from "../../shared/formats/manifest.js";
import { openStream, SEAL_CHUNK_BYTES, sealStream } from "../../shared/formats/seal.js";

const [mode, dir, countText] = process.argv.slice(2);
if (!mode || !dir) throw new Error("usage: bundle-child.ts build|bundle|baseline DIR [COUNT]");
const MANIFESTS = join(dir, "manifests.bin");
// Node's default highWaterMark for file streams, as the factory's own reads use.
const READ_CHUNK = 64 * 1024;

interface Keys {
  stationPublic: string;
  stationSecret: string;
  registrarPublic: string;
  registrarPrivate: string;
}

/** The manifests of DIR/manifests.bin, one at a time. */
async function* manifests(): AsyncGenerator<Uint8Array, void, undefined> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(MANIFESTS, { highWaterMark: READ_CHUNK })) {
    pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
    let at = 0;
    while (pending.length - at >= 4) {
      const length = pending.readUInt32BE(at);
      if (pending.length - at - 4 < length) break;
      yield new Uint8Array(pending.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    pending = pending.subarray(at);
  }
  if (pending.length > 0) throw new Error("manifests.bin ends inside a manifest");
}

function fileChunks(path: string): AsyncIterable<Uint8Array> {
  return createReadStream(path, { highWaterMark: READ_CHUNK }) as AsyncIterable<Uint8Array>;
}

async function build(count: number): Promise<Record<string, number>> {
  const t0 = performance.now();
  const station = generateKeyPairSync("ed25519");
  const registrar = generateKeyPairSync("x25519");
  const pair = sodiumEd25519KeyPair(station.privateKey);
  const keys: Keys = {
    stationPublic: Buffer.from(pair.publicKey).toString("base64"),
    stationSecret: Buffer.from(pair.secretKey).toString("base64"),
    registrarPublic: Buffer.from(rawPublicKey(registrar.publicKey)).toString("base64"),
    registrarPrivate: Buffer.from(rawPrivateKey(registrar.privateKey)).toString("base64"),
  };
  await writeFile(join(dir!, "keys.json"), JSON.stringify(keys));
  const sign = await sign1Signer(pair);
  // Sizes of a real capture: an RSA-2048 EK (TPM2B_PUBLIC ~314 B, cert ~1.1 KB) and an ECC
  // P-256 EK (~122 B, cert ~0.7 KB), no chain in NV (the common case).
  const template: ManifestPayload = {
    v: 1,
    serial: "",
    hw_uuid: null,
    model: "edge-gateway-rev-c",
    captured_at: 1_780_000_000,
    station: "bench",
    tpm: { manufacturer: "IFX", vendor: "SLB9672", fw: "16.13.0.0", spec: "2.0 rev 1.59" },
    eks: [
      {
        alg: "rsa2048",
        template: "L-1",
        pub: randomBytes(314),
        ek_pub_sha256: randomBytes(32).toString("hex"),
        cert: randomBytes(1100),
        cert_nv: 0x01c00002,
        chain: [],
      },
      {
        alg: "ecc-p256",
        template: "L-2",
        pub: randomBytes(122),
        ek_pub_sha256: randomBytes(32).toString("hex"),
        cert: randomBytes(700),
        cert_nv: 0x01c0000a,
        chain: [],
      },
    ],
    platform_cert: null,
  };
  const file = await open(MANIFESTS, "w");
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const serial = `SN-${String(i).padStart(7, "0")}`;
    const signed = sign(
      encodeManifestPayload({
        ...template,
        serial,
        hw_uuid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
        eks: template.eks.map((ek) => ({
          ...ek,
          ek_pub_sha256: createHash("sha256").update(ek.ek_pub_sha256).update(serial).digest("hex"),
        })),
      }),
    );
    const head = Buffer.alloc(4);
    head.writeUInt32BE(signed.length);
    batch.push(head, Buffer.from(signed));
    batchBytes += 4 + signed.length;
    bytes += signed.length;
    if (batchBytes >= READ_CHUNK) {
      await file.write(Buffer.concat(batch));
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) await file.write(Buffer.concat(batch));
  await file.close();
  return { seconds: (performance.now() - t0) / 1000, manifest_bytes: bytes };
}

async function loadKeys() {
  const k = JSON.parse(await readFile(join(dir!, "keys.json"), "utf8")) as Keys;
  const b = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
  return {
    station: { publicKey: b(k.stationPublic), secretKey: b(k.stationSecret) },
    registrar: { publicKey: b(k.registrarPublic), privateKey: b(k.registrarPrivate) },
  };
}

async function bundle(): Promise<Record<string, number>> {
  const keys = await loadKeys();
  const sealed = join(dir!, "bundle.sealed");
  const t0 = performance.now();
  const plain = writeBundle(
    () => manifests(),
    { bundle_id: "bench-bundle", station: "bench", seq: 1, prev: null, created_at: 1_780_000_000 },
    await sign1Signer(keys.station),
  );
  await pipeline(Readable.from(sealStream(plain, keys.registrar.publicKey)), createWriteStream(sealed));
  const t1 = performance.now();
  // The registrar's lookup: a KeyObject made once, as a station table would hold it.
  const stationKey = createPublicKey({
    key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), keys.station.publicKey]),
    format: "der",
    type: "spki",
  });
  const lookup = () => stationKey;
  const opened = await readBundle(openStream(fileChunks(sealed), keys.registrar), { stationKeys: lookup });
  let count = 0;
  for await (const item of opened.items) {
    verifyManifest(item.bytes, lookup);
    count++;
  }
  if (count !== opened.header.count) throw new Error(`read ${count} of ${opened.header.count} manifests`);
  const t2 = performance.now();
  return {
    bundle_seal_s: (t1 - t0) / 1000,
    open_inspect_s: (t2 - t1) / 1000,
    seconds: (t2 - t0) / 1000,
    count,
    sealed_bytes: (await stat(sealed)).size,
  };
}

function open1(
  state: Parameters<typeof sodium.crypto_secretstream_xchacha20poly1305_pull>[0],
  cipher: Uint8Array,
): Uint8Array {
  const r = sodium.crypto_secretstream_xchacha20poly1305_pull(state, cipher, null);
  if (!r) throw new Error("secretstream chunk does not authenticate");
  return r.message;
}

async function baseline(): Promise<Record<string, number>> {
  await sodium.ready;
  const raw = join(dir!, "raw.sealed");
  const t0 = performance.now();
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const hash = createHash("sha256");
  const out = await open(raw, "w");
  let carry: Buffer = Buffer.alloc(0);
  const push = async (chunk: Uint8Array, tag: number) =>
    out.write(sodium.crypto_secretstream_xchacha20poly1305_push(state, chunk, null, tag));
  for await (const chunk of fileChunks(MANIFESTS)) {
    hash.update(chunk);
    carry = Buffer.concat([carry, chunk]);
    let at = 0;
    for (; carry.length - at > SEAL_CHUNK_BYTES; at += SEAL_CHUNK_BYTES)
      await push(carry.subarray(at, at + SEAL_CHUNK_BYTES), 0);
    carry = carry.subarray(at);
  }
  await push(carry, sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  await out.close();
  hash.digest();
  const pull = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, key);
  const back = createHash("sha256");
  const sealedChunk = SEAL_CHUNK_BYTES + sodium.crypto_secretstream_xchacha20poly1305_ABYTES;
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of fileChunks(raw)) {
    rest = Buffer.concat([rest, chunk as Buffer]);
    let at = 0;
    for (; rest.length - at >= sealedChunk; at += sealedChunk)
      back.update(open1(pull, rest.subarray(at, at + sealedChunk)));
    rest = rest.subarray(at);
  }
  if (rest.length > 0) back.update(open1(pull, rest));
  back.digest();
  return { seconds: (performance.now() - t0) / 1000 };
}

const result =
  mode === "build"
    ? await build(Number(countText))
    : mode === "bundle"
      ? await bundle()
      : mode === "baseline"
        ? await baseline()
        : undefined;
if (!result) throw new Error(`unknown mode ${mode}`);
// maxRSS is in kilobytes.
process.stdout.write(`${JSON.stringify({ ...result, peak_rss: process.resourceUsage().maxRSS * 1024 })}\n`);
