// Hostile input for every top-level decoder of the TPM stack: the ten structures a TPM (or a
// peer pretending to be one) hands us, and the response frame of every command we send.
//
// The value generators are written from TPM 2.0 Part 2, not from the codec definitions, and
// the hostile encodings are assembled by hand (be16/be32/cat below), so a codec that drifts
// from the specification fails here rather than agreeing with itself.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Command, type CommandOutput, unmarshalResponse } from "../command.js";
import * as commands from "../commands/index.js";
import { TPM_ALG, TPM_CAP, TPM_GENERATED_VALUE, TPM_ST } from "../constants.js";
import { TpmResponseError } from "../rc.js";
import { TPMS_ATTEST, type TpmsAttest } from "../structures/attest.js";
import { TPMS_CAPABILITY_DATA, type TpmsCapabilityData } from "../structures/capability.js";
import { TPM2B_ID_OBJECT, type TpmsIdObject } from "../structures/credential.js";
import { TPM2B_NV_PUBLIC, type TpmsNvPublic } from "../structures/nv.js";
import { TPML_DIGEST, TPML_PCR_SELECTION } from "../structures/pcr.js";
import { TPM2B_PUBLIC, TPM2B_SENSITIVE_CREATE, TPMT_PUBLIC, type TpmtPublic } from "../structures/public.js";
import { TPMT_SIGNATURE, type TpmtSignature } from "../structures/signature.js";
import { type Codec, marshal, Reader, TpmDecodeError, unmarshal } from "./codec.js";

/** Random and mutated inputs: the cheap, broad search, at 10,000 runs per decoder. */
const FUZZ_RUNS = 10_000;
/** Properties over valid values, whose generation costs more. */
const RUNS = 1_000;
/** Properties that decode every prefix of a value (each run is hundreds of decodes). */
const PREFIX_RUNS = 80;

// ---------------------------------------------------------------------------------------------
// Bytes, assembled by hand.

const be16 = (n: number) => Uint8Array.of(n >>> 8, n & 0xff);
const be32 = (n: number) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
/** A TPM2B: u16 size, then the bytes. */
const b2 = (body: Uint8Array) => cat(be16(body.length), body);
const PATTERN = Uint8Array.from({ length: 0x10000 + 256 }, (_, i) => (i * 167) & 0xff);
/** n bytes of a recognisable pattern (cheap to make at any length, unlike fc.uint8Array). */
const pattern = (n: number, seed: number): Uint8Array => PATTERN.slice(seed, seed + n);
const NULL_ALG = be16(TPM_ALG.NULL);
/** n pseudo-random bytes from a seed (xorshift32): much cheaper than fc.uint8Array at 10,000 runs. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
const junk = (maxLength: number) =>
  fc.tuple(fc.nat(maxLength), fc.integer()).map(([n, seed]) => noise(n, seed));

// ---------------------------------------------------------------------------------------------
// Generators of valid values, from Part 2.

/** fc.record, with ordinary objects: decoded values have Object.prototype, and so must these. */
const rec = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record<T>(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });

/** A TPM2B body of 0..max bytes: mostly short, sometimes any length up to the maximum. */
const bytes = (max: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: Math.min(max, 24) }) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 0, max }), fc.nat(255)).map(([n, s]) => pattern(n, s)),
    },
  );
/** sizeof(TPMU_HA) for SHA-512: TPM2B_DIGEST, _NONCE, _AUTH (§10.4.2). */
const digest = bytes(64);
/** sizeof(TPMT_HA): TPM2B_NAME and TPM2B_DATA (§10.5.3, §10.4.3). */
const name = bytes(66);

/** TPMT_SYM_DEF_OBJECT (§11.1.6): NULL carries nothing, a block cipher its key size and mode. */
const symDefObject = fc.oneof(
  rec({ algorithm: fc.constant(TPM_ALG.NULL) }),
  rec({
    algorithm: fc.constantFrom(TPM_ALG.AES, TPM_ALG.SM4, TPM_ALG.CAMELLIA),
    keyBits: u16,
    mode: u16,
  }),
);
/** TPMT_RSA_SCHEME (§11.2.4.2) */
const rsaScheme = fc.oneof(
  rec({ scheme: fc.constantFrom(TPM_ALG.NULL, TPM_ALG.RSAES) }),
  rec({ scheme: fc.constantFrom(TPM_ALG.RSASSA, TPM_ALG.RSAPSS, TPM_ALG.OAEP), hashAlg: u16 }),
);
/** TPMT_ECC_SCHEME (§11.2.5.6): ECDAA alone also carries a commit count. */
const eccScheme = fc.oneof(
  rec({ scheme: fc.constant(TPM_ALG.NULL) }),
  rec({
    scheme: fc.constantFrom(TPM_ALG.ECDSA, TPM_ALG.ECDH, TPM_ALG.ECSCHNORR, TPM_ALG.SM2, TPM_ALG.ECMQV),
    hashAlg: u16,
  }),
  rec({ scheme: fc.constant(TPM_ALG.ECDAA), hashAlg: u16, count: u16 }),
);
/** TPMT_KDF_SCHEME (§11.2.3.3) */
const kdfScheme = fc.oneof(
  rec({ scheme: fc.constant(TPM_ALG.NULL) }),
  rec({
    scheme: fc.constantFrom(TPM_ALG.MGF1, TPM_ALG.KDF1_SP800_56A, TPM_ALG.KDF2, TPM_ALG.KDF1_SP800_108),
    hashAlg: u16,
  }),
);
/** TPMT_KEYEDHASH_SCHEME (§11.1.23) */
const keyedHashScheme = fc.oneof(
  rec({ scheme: fc.constant(TPM_ALG.NULL) }),
  rec({ scheme: fc.constant(TPM_ALG.HMAC), hashAlg: u16 }),
  rec({ scheme: fc.constant(TPM_ALG.XOR), hashAlg: u16, kdf: u16 }),
);

/** The fields every TPMT_PUBLIC has between type and parameters (§12.2.4). */
const publicHeader = { nameAlg: u16, objectAttributes: u32, authPolicy: digest };
/** §12.2.4 TPMT_PUBLIC, one arm per object type. */
const tpmtPublic: fc.Arbitrary<TpmtPublic> = fc.oneof(
  rec({
    type: fc.constant(TPM_ALG.RSA),
    ...publicHeader,
    parameters: rec({ symmetric: symDefObject, scheme: rsaScheme, keyBits: u16, exponent: u32 }),
    unique: bytes(512),
  }),
  rec({
    type: fc.constant(TPM_ALG.ECC),
    ...publicHeader,
    parameters: rec({ symmetric: symDefObject, scheme: eccScheme, curveID: u16, kdf: kdfScheme }),
    unique: rec({ x: bytes(66), y: bytes(66) }),
  }),
  rec({
    type: fc.constant(TPM_ALG.KEYEDHASH),
    ...publicHeader,
    parameters: rec({ scheme: keyedHashScheme }),
    unique: digest,
  }),
  rec({
    type: fc.constant(TPM_ALG.SYMCIPHER),
    ...publicHeader,
    parameters: rec({ sym: symDefObject }),
    unique: digest,
  }),
);

/** §10.6.2 TPMS_PCR_SELECTION, §10.9.7 TPML_PCR_SELECTION */
const pcrSelections = fc.array(rec({ hash: u16, pcrSelect: bytes(32) }), { maxLength: 16 });
/** §10.9.3 TPML_DIGEST */
const digests = fc.array(digest, { maxLength: 8 });
/** §10.11.1 TPMS_CLOCK_INFO */
const clockInfo = rec({ clock: u64, resetCount: u32, restartCount: u32, safe: fc.boolean() });

/** §10.12.12 TPMS_ATTEST, one arm per attestation type. */
const attestOf = <const T extends number, A>(type: T, attested: fc.Arbitrary<A>) =>
  rec({
    magic: fc.constant(TPM_GENERATED_VALUE),
    type: fc.constant(type),
    qualifiedSigner: name,
    extraData: name,
    clockInfo,
    firmwareVersion: u64,
    attested,
  });
const tpmsAttest: fc.Arbitrary<TpmsAttest> = fc.oneof(
  attestOf(TPM_ST.ATTEST_QUOTE, rec({ pcrSelect: pcrSelections, pcrDigest: digest })),
  attestOf(TPM_ST.ATTEST_CERTIFY, rec({ name, qualifiedName: name })),
  attestOf(TPM_ST.ATTEST_CREATION, rec({ objectName: name, creationHash: digest })),
  attestOf(TPM_ST.ATTEST_TIME, rec({ time: rec({ time: u64, clockInfo }), firmwareVersion: u64 })),
  attestOf(
    TPM_ST.ATTEST_COMMAND_AUDIT,
    rec({ auditCounter: u64, digestAlg: u16, auditDigest: digest, commandDigest: digest }),
  ),
  attestOf(TPM_ST.ATTEST_SESSION_AUDIT, rec({ exclusiveSession: fc.boolean(), sessionDigest: digest })),
  attestOf(TPM_ST.ATTEST_NV, rec({ indexName: name, offset: u16, nvContents: bytes(4096) })),
  attestOf(TPM_ST.ATTEST_NV_DIGEST, rec({ indexName: name, nvDigest: digest })),
);

/** §10.3.2 TPMT_HA: the digest length is fixed by the algorithm. */
const tpmtHa = fc.oneof(
  rec({ hashAlg: fc.constant(TPM_ALG.NULL) }),
  rec({ hashAlg: fc.constant(TPM_ALG.SHA1), digest: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
  rec({
    hashAlg: fc.constant(TPM_ALG.SHA256),
    digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
  rec({
    hashAlg: fc.constant(TPM_ALG.SHA384),
    digest: fc.uint8Array({ minLength: 48, maxLength: 48 }),
  }),
  rec({
    hashAlg: fc.constant(TPM_ALG.SHA512),
    digest: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  }),
);
/** §11.3.4 TPMT_SIGNATURE */
const tpmtSignature: fc.Arbitrary<TpmtSignature> = fc.oneof(
  rec({ sigAlg: fc.constant(TPM_ALG.NULL) }),
  rec({ sigAlg: fc.constantFrom(TPM_ALG.RSASSA, TPM_ALG.RSAPSS), hash: u16, sig: bytes(512) }),
  rec({
    sigAlg: fc.constantFrom(TPM_ALG.ECDSA, TPM_ALG.ECDAA, TPM_ALG.SM2, TPM_ALG.ECSCHNORR),
    hash: u16,
    signatureR: bytes(66),
    signatureS: bytes(66),
  }),
  rec({ sigAlg: fc.constant(TPM_ALG.HMAC), hmac: tpmtHa }),
);

/** §11.4.10 TPMS_ID_OBJECT: encIdentity is an encrypted TPM2B_DIGEST, size field included. */
const idObject: fc.Arbitrary<TpmsIdObject> = rec({ integrityHMAC: digest, encIdentity: bytes(66) });

/** §10.10.2 TPMS_CAPABILITY_DATA for the capabilities we ask for. */
const list = <T>(item: fc.Arbitrary<T>) => fc.array(item, { maxLength: 12 });
const capabilityData: fc.Arbitrary<TpmsCapabilityData> = fc.oneof(
  rec({
    capability: fc.constant(TPM_CAP.ALGS),
    data: list(rec({ alg: u16, algProperties: u32 })),
  }),
  rec({ capability: fc.constantFrom(TPM_CAP.HANDLES, TPM_CAP.COMMANDS), data: list(u32) }),
  rec({ capability: fc.constant(TPM_CAP.PCRS), data: pcrSelections }),
  rec({
    capability: fc.constant(TPM_CAP.TPM_PROPERTIES),
    data: list(rec({ property: u32, value: u32 })),
  }),
  rec({ capability: fc.constant(TPM_CAP.ECC_CURVES), data: list(u16) }),
);

/** §13.5 TPMS_NV_PUBLIC */
const nvPublic: fc.Arbitrary<TpmsNvPublic> = rec({
  nvIndex: u32,
  nameAlg: u16,
  attributes: u32,
  authPolicy: digest,
  dataSize: u16,
});

/** §12.3.2.3 TPMS_SENSITIVE_CREATE: data is at most MAX_SYM_DATA (128). */
const sensitiveCreate = rec({ userAuth: digest, data: bytes(128) });

// ---------------------------------------------------------------------------------------------
// Encodings with one size or count field above what the specification allows. Every announced
// byte is present (as far as a u16 size can announce), so the only thing wrong is the size.

interface Oversized {
  /** The field whose size is too large, for the failure report. */
  field: string;
  bytes: Uint8Array;
  /** What the decoder must say. */
  message: RegExp;
  /** No single read may be larger than this: the decoder refused before reading the field. */
  largestRead: number;
}

/** A size field of n > max bytes, followed by those n bytes. */
const sizeAbove = (max: number) =>
  fc
    .tuple(fc.integer({ min: max + 1, max: 0xff00 }), fc.nat(255))
    .map(([n, s]) => ({ n, body: b2(pattern(n, s)) }));
/** A u32 count above max, with nothing behind it. */
const countAbove = (max: number) => fc.integer({ min: max + 1, max: 0xffffffff });

const tooBig = (field: string, max: number, build: (sized: Uint8Array) => Uint8Array) =>
  sizeAbove(max).map(
    ({ body }): Oversized => ({
      field,
      bytes: build(body),
      message: new RegExp(`size \\d+ exceeds the maximum of ${max}`),
      largestRead: max,
    }),
  );
const tooMany = (field: string, max: number, build: (count: Uint8Array) => Uint8Array) =>
  countAbove(max).map(
    (n): Oversized => ({
      field,
      bytes: build(be32(n)),
      message: new RegExp(`count ${n} exceeds the maximum of ${max}`),
      // Only the fields before the count were read (none of them is larger than a TPM2B_NAME).
      largestRead: 66,
    }),
  );
/** A sized structure (TPM2B_PUBLIC…) whose u16 size announces more than follows. */
const sizedBeyondEnd = (field: string, inner: Uint8Array) =>
  fc.integer({ min: inner.length + 1, max: 0xffff }).map(
    (n): Oversized => ({
      field,
      bytes: cat(be16(n), inner),
      message: /needs \d+ more byte\(s\)/,
      largestRead: 0,
    }),
  );

const RSA_HEAD = cat(be16(TPM_ALG.RSA), be16(TPM_ALG.SHA256), be32(0x00030072));
const ECC_HEAD = cat(be16(TPM_ALG.ECC), be16(TPM_ALG.SHA256), be32(0x00040072));
const RSA_PARMS = cat(NULL_ALG, NULL_ALG, be16(2048), be32(0));
const ECC_PARMS = cat(NULL_ALG, NULL_ALG, be16(0x0003), NULL_ALG);
/** A minimal valid RSA TPMT_PUBLIC: empty policy, no schemes, empty modulus. */
const RSA_PUBLIC = cat(RSA_HEAD, b2(new Uint8Array()), RSA_PARMS, b2(new Uint8Array()));

const publicOversized = (wrap: (inner: Uint8Array) => Uint8Array) =>
  fc.oneof(
    tooBig("authPolicy", 64, (f) => wrap(cat(RSA_HEAD, f))),
    tooBig("unique (RSA modulus)", 512, (f) => wrap(cat(RSA_HEAD, b2(new Uint8Array()), RSA_PARMS, f))),
    tooBig("unique.x", 66, (f) => wrap(cat(ECC_HEAD, b2(new Uint8Array()), ECC_PARMS, f))),
    tooBig("unique.y", 66, (f) =>
      wrap(cat(ECC_HEAD, b2(new Uint8Array()), ECC_PARMS, b2(pattern(32, 1)), f)),
    ),
    tooBig("unique (keyedhash)", 64, (f) =>
      wrap(cat(be16(TPM_ALG.KEYEDHASH), be16(TPM_ALG.SHA256), be32(0), b2(new Uint8Array()), NULL_ALG, f)),
    ),
  );

const ATTEST_HEAD = cat(be32(TPM_GENERATED_VALUE), be16(TPM_ST.ATTEST_QUOTE));
const CLOCK_AND_FIRMWARE = cat(pattern(8, 3), be32(1), be32(2), Uint8Array.of(1), pattern(8, 9));
const attestOversized = fc.oneof(
  tooBig("qualifiedSigner", 66, (f) => cat(ATTEST_HEAD, f)),
  tooBig("extraData", 66, (f) => cat(ATTEST_HEAD, b2(pattern(34, 0)), f)),
  tooMany("attested.pcrSelect", 16, (n) =>
    cat(ATTEST_HEAD, b2(pattern(34, 0)), b2(new Uint8Array()), CLOCK_AND_FIRMWARE, n),
  ),
  fc.integer({ min: 33, max: 255 }).map(
    (n): Oversized => ({
      field: "attested.pcrSelect[0].sizeofSelect",
      bytes: cat(
        ATTEST_HEAD,
        b2(new Uint8Array()),
        b2(new Uint8Array()),
        CLOCK_AND_FIRMWARE,
        be32(1),
        be16(TPM_ALG.SHA256),
        Uint8Array.of(n),
        pattern(n, 0),
      ),
      message: new RegExp(`sizeofSelect ${n} exceeds the maximum of 32`),
      largestRead: 32,
    }),
  ),
  tooBig("attested.pcrDigest", 64, (f) =>
    cat(ATTEST_HEAD, b2(new Uint8Array()), b2(new Uint8Array()), CLOCK_AND_FIRMWARE, be32(0), f),
  ),
  tooBig("attested.nvContents", 4096, (f) =>
    cat(
      be32(TPM_GENERATED_VALUE),
      be16(TPM_ST.ATTEST_NV),
      b2(new Uint8Array()),
      b2(new Uint8Array()),
      CLOCK_AND_FIRMWARE,
      b2(pattern(34, 0)),
      be16(0),
      f,
    ),
  ),
);

const signatureOversized = fc.oneof(
  tooBig("sig (RSASSA)", 512, (f) => cat(be16(TPM_ALG.RSASSA), be16(TPM_ALG.SHA256), f)),
  tooBig("signatureR", 66, (f) => cat(be16(TPM_ALG.ECDSA), be16(TPM_ALG.SHA256), f)),
  tooBig("signatureS", 66, (f) => cat(be16(TPM_ALG.ECDSA), be16(TPM_ALG.SHA256), b2(pattern(32, 0)), f)),
);

const idObjectOversized = fc.oneof(
  tooBig("integrityHMAC", 64, (f) => b2(f)),
  fc.tuple(fc.integer({ min: 67, max: 0xff00 }), fc.nat(255)).map(
    ([n, s]): Oversized => ({
      field: "encIdentity",
      bytes: b2(cat(b2(pattern(32, 0)), pattern(n, s))),
      message: new RegExp(`${n} bytes exceed the maximum of 66`),
      largestRead: 66,
    }),
  ),
  sizedBeyondEnd("TPM2B_ID_OBJECT.size", cat(b2(pattern(32, 0)), pattern(34, 1))),
);

const capabilityOversized = fc.oneof(
  tooMany("TPML_ALG_PROPERTY.count", 1024, (n) => cat(be32(TPM_CAP.ALGS), n)),
  tooMany("TPML_HANDLE.count", 1024, (n) => cat(be32(TPM_CAP.HANDLES), n)),
  tooMany("TPML_CCA.count", 1024, (n) => cat(be32(TPM_CAP.COMMANDS), n)),
  tooMany("TPML_PCR_SELECTION.count", 16, (n) => cat(be32(TPM_CAP.PCRS), n)),
  tooMany("TPML_TAGGED_TPM_PROPERTY.count", 1024, (n) => cat(be32(TPM_CAP.TPM_PROPERTIES), n)),
  tooMany("TPML_ECC_CURVE.count", 1024, (n) => cat(be32(TPM_CAP.ECC_CURVES), n)),
);

const NV_HEAD = cat(be32(0x01c00002), be16(TPM_ALG.SHA256), be32(0x62072001));
const nvPublicOversized = fc.oneof(
  tooBig("authPolicy", 64, (f) => b2(cat(NV_HEAD, f, be16(1024)))),
  sizedBeyondEnd("TPM2B_NV_PUBLIC.size", cat(NV_HEAD, b2(new Uint8Array()), be16(1024))),
);

const pcrSelectionOversized = fc.oneof(
  tooMany("count", 16, (n) => n),
  fc.integer({ min: 33, max: 255 }).map(
    (n): Oversized => ({
      field: "[0].sizeofSelect",
      bytes: cat(be32(1), be16(TPM_ALG.SHA256), Uint8Array.of(n), pattern(n, 0)),
      message: new RegExp(`sizeofSelect ${n} exceeds the maximum of 32`),
      largestRead: 32,
    }),
  ),
);

const digestListOversized = fc.oneof(
  tooMany("count", 8, (n) => n),
  tooBig("digests[0]", 64, (f) => cat(be32(1), f)),
  tooBig("digests[1]", 64, (f) => cat(be32(2), b2(pattern(32, 0)), f)),
);

const sensitiveCreateOversized = fc.oneof(
  tooBig("userAuth", 64, (f) => b2(f)),
  tooBig("data", 128, (f) => b2(cat(b2(new Uint8Array()), f))),
  sizedBeyondEnd("TPM2B_SENSITIVE_CREATE.size", cat(b2(new Uint8Array()), b2(new Uint8Array()))),
);

// ---------------------------------------------------------------------------------------------
// The decoders.

interface Subject<T> {
  codec: Codec<T>;
  valid: fc.Arbitrary<T>;
  oversized: fc.Arbitrary<Oversized>;
}
// Codec<T> is invariant in T; the table only ever pairs a codec with its own generator.
const subject = <T>(s: Subject<T>) => s as unknown as Subject<unknown>;

const STRUCTURES: Subject<unknown>[] = [
  subject({
    codec: TPM2B_PUBLIC,
    valid: tpmtPublic,
    oversized: fc.oneof(
      publicOversized((inner) => b2(inner)),
      sizedBeyondEnd("TPM2B_PUBLIC.size", RSA_PUBLIC),
    ),
  }),
  subject({ codec: TPMT_PUBLIC, valid: tpmtPublic, oversized: publicOversized((inner) => inner) }),
  subject({ codec: TPMS_ATTEST, valid: tpmsAttest, oversized: attestOversized }),
  subject({ codec: TPMT_SIGNATURE, valid: tpmtSignature, oversized: signatureOversized }),
  subject({ codec: TPM2B_ID_OBJECT, valid: idObject, oversized: idObjectOversized }),
  subject({ codec: TPMS_CAPABILITY_DATA, valid: capabilityData, oversized: capabilityOversized }),
  subject({ codec: TPM2B_NV_PUBLIC, valid: nvPublic, oversized: nvPublicOversized }),
  subject({ codec: TPML_PCR_SELECTION, valid: pcrSelections, oversized: pcrSelectionOversized }),
  subject({ codec: TPML_DIGEST, valid: digests, oversized: digestListOversized }),
  subject({ codec: TPM2B_SENSITIVE_CREATE, valid: sensitiveCreate, oversized: sensitiveCreateOversized }),
];

// ---------------------------------------------------------------------------------------------
// Checks.

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
function attempt(fn: () => unknown): Outcome {
  // Most runs end in a throw; capturing a stack for each would be most of the run time.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  } finally {
    Error.stackTraceLimit = limit;
  }
}
/** Passes when `fn` returns or throws TpmDecodeError; anything else fails with the culprit shown. */
function decodesOrRefuses(fn: () => unknown): void {
  const out = attempt(fn);
  if (!out.ok && !(out.error instanceof TpmDecodeError)) {
    throw new Error(`threw ${String(out.error)} instead of TpmDecodeError`, { cause: out.error });
  }
}
function refuses(fn: () => unknown): TpmDecodeError {
  const out = attempt(fn);
  if (out.ok) throw new Error("decoded, but must have been refused");
  if (!(out.error instanceof TpmDecodeError)) {
    throw new Error(`threw ${String(out.error)} instead of TpmDecodeError`, { cause: out.error });
  }
  return out.error;
}
/** Deep equality that is fast enough for 10,000 runs; the readable diff only on failure. */
function same(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toStrictEqual(expected);
}

/** Overwrites one to four bytes of a valid encoding, at random positions. */
const mutated = (valid: fc.Arbitrary<Uint8Array>) =>
  fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }))
    .map(([b, edits]) => {
      const out = b.slice();
      for (const [at, v] of edits) out[at % out.length] = v;
      return out;
    });

// The largest Reader.bytes(n) since the last reset: a decoder that checks a size against its
// limit before reading never asks for more than the limit. (vi.spyOn records every call,
// which is too slow for 10,000 runs.)
const readBytes = Reader.prototype.bytes;
let largest = 0;
beforeAll(() => {
  Reader.prototype.bytes = function (this: Reader, n: number) {
    largest = Math.max(largest, n);
    return readBytes.call(this, n);
  };
});
afterAll(() => {
  Reader.prototype.bytes = readBytes;
});
function largestRead(fn: () => unknown): number {
  largest = 0;
  fn();
  return largest;
}

/** A fixed sample of valid values, for properties that only need many inputs, not shrinking. */
const POOL_SIZE = 300;
const poolOf = <T>(arb: fc.Arbitrary<T>): T[] => fc.sample(arb, { numRuns: POOL_SIZE, seed: 0x7fa11 });
/** Reports through expect only on failure: expect() itself costs more than a decode. */
function matches(message: string, re: RegExp, what?: string): void {
  if (!re.test(message)) expect(message, what).toMatch(re);
}

describe.each(STRUCTURES.map((s) => [s.codec.name, s] as const))("%s", (_, s) => {
  const encoded = s.valid.map((v) => marshal(s.codec, v));
  let pool: fc.Arbitrary<Uint8Array>;
  beforeAll(() => {
    pool = fc.constantFrom(...poolOf(encoded));
  });

  it("decodes random bytes or refuses them with TpmDecodeError", () => {
    fc.assert(
      fc.property(junk(256), (bytes) => decodesOrRefuses(() => unmarshal(s.codec, bytes))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("decodes a valid encoding with a few bytes overwritten, or refuses it with TpmDecodeError", () => {
    fc.assert(
      fc.property(mutated(pool), (bytes) => decodesOrRefuses(() => unmarshal(s.codec, bytes))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it("gives back the value it encoded, and encodes that value to the same bytes", () => {
    fc.assert(
      fc.property(s.valid, (value) => {
        const bytes = marshal(s.codec, value);
        const back = unmarshal(s.codec, bytes);
        same(back, value);
        same(marshal(s.codec, back), bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses every strict prefix of a valid encoding", () => {
    fc.assert(
      fc.property(encoded, (bytes) => {
        for (let n = 0; n < bytes.length; n++) refuses(() => unmarshal(s.codec, bytes.subarray(0, n)));
      }),
      { numRuns: PREFIX_RUNS },
    );
  });

  it("refuses a valid encoding cut at a random point", () => {
    fc.assert(
      fc.property(pool, fc.nat(), (bytes, at) => {
        refuses(() => unmarshal(s.codec, bytes.subarray(0, at % bytes.length)));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a valid encoding followed by trailing bytes", () => {
    fc.assert(
      fc.property(pool, junk(16), (bytes, extra) => {
        fc.pre(extra.length > 0);
        const err = refuses(() => unmarshal(s.codec, cat(bytes, extra)));
        matches(err.message, new RegExp(`: ${extra.length} unexpected trailing byte\\(s\\)`));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a size or count above the specification's limit before reading what it announces", () => {
    fc.assert(
      fc.property(s.oversized, (o) => {
        let err: TpmDecodeError | undefined;
        const read = largestRead(() => {
          err = refuses(() => unmarshal(s.codec, o.bytes));
        });
        matches(err?.message ?? "", o.message, o.field);
        expect(read, o.field).toBeLessThanOrEqual(o.largestRead);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Response frames (Part 1 §18.3): tag, responseSize, responseCode, handles, then for
// TPM_ST_SESSIONS a parameterSize, the parameters and one TPMS_AUTH_RESPONSE per session.

interface ResponseSubject {
  cmd: Command;
  /** The response parameters, already encoded, and the value they encode. */
  params: fc.Arbitrary<{ value: Record<string, unknown>; bytes: Uint8Array }>;
}
const responseOf = <C extends Command>(
  cmd: C,
  fields: { [K in keyof C["response"]]: fc.Arbitrary<unknown> },
): ResponseSubject => ({
  cmd,
  params: fc
    .record(fields as Record<string, fc.Arbitrary<unknown>>)
    .map((value) => ({ value, bytes: marshal(cmd.responseCodec, value as never) })),
});
const ticket = rec({ tag: u16, hierarchy: u32, digest });

const RESPONSES: ResponseSubject[] = [
  responseOf(commands.ActivateCredential, { certInfo: digest }),
  responseOf(commands.Create, {
    outPrivate: bytes(2048),
    outPublic: tpmtPublic,
    creationData: bytes(4096),
    creationHash: digest,
    creationTicket: ticket,
  }),
  responseOf(commands.CreatePrimary, {
    outPublic: tpmtPublic,
    creationData: bytes(4096),
    creationHash: digest,
    creationTicket: ticket,
    name,
  }),
  responseOf(commands.EvictControl, {}),
  responseOf(commands.FlushContext, {}),
  responseOf(commands.GetCapability, { moreData: fc.boolean(), capabilityData }),
  responseOf(commands.GetRandom, { randomBytes: digest }),
  responseOf(commands.Load, { name }),
  responseOf(commands.MakeCredential, { credentialBlob: idObject, secret: bytes(512) }),
  responseOf(commands.NV_Read, { data: bytes(4096) }),
  responseOf(commands.NV_ReadPublic, { nvPublic, nvName: name }),
  responseOf(commands.PCR_Read, {
    pcrUpdateCounter: u32,
    pcrSelectionOut: pcrSelections,
    pcrValues: digests,
  }),
  responseOf(commands.PolicyGetDigest, { policyDigest: digest }),
  responseOf(commands.PolicyOR, {}),
  responseOf(commands.PolicySecret, { timeout: bytes(8), policyTicket: ticket }),
  responseOf(commands.Quote, { quoted: bytes(2048), signature: tpmtSignature }),
  responseOf(commands.ReadPublic, { outPublic: tpmtPublic, name, qualifiedName: name }),
  responseOf(commands.StartAuthSession, { nonceTPM: digest }),
  responseOf(commands.Startup, {}),
];

/** §10.13.3 TPMS_AUTH_RESPONSE: nonceTPM, sessionAttributes, hmac. */
const authResponse = fc
  .tuple(digest, fc.nat(255), digest)
  .map(([nonce, attrs, hmac]) => cat(b2(nonce), Uint8Array.of(attrs), b2(hmac)));

interface Frame {
  bytes: Uint8Array;
  expected: Record<string, unknown>;
  /** Where the parameters start, and their length. */
  paramsAt: number;
  paramsLength: number;
}
function frameOf(cmd: Command, handles: number[], params: Uint8Array, auths: Uint8Array[]): Uint8Array {
  const sessions = cmd.authCount > 0;
  const body = cat(...handles.map(be32), ...(sessions ? [be32(params.length), params, ...auths] : [params]));
  const tag = sessions ? TPM_ST.SESSIONS : TPM_ST.NO_SESSIONS;
  return cat(be16(tag), be32(10 + body.length), be32(0), body);
}
const validFrame = (r: ResponseSubject): fc.Arbitrary<Frame> =>
  fc
    .tuple(
      fc.array(u32, { minLength: r.cmd.responseHandles.length, maxLength: r.cmd.responseHandles.length }),
      r.params,
      fc.array(authResponse, { minLength: r.cmd.authCount, maxLength: r.cmd.authCount }),
    )
    .map(([handles, params, auths]) => {
      const expected: Record<string, unknown> = { ...params.value };
      r.cmd.responseHandles.forEach((key, i) => {
        expected[key] = handles[i];
      });
      const paramsAt = 10 + 4 * handles.length + (r.cmd.authCount > 0 ? 4 : 0);
      return {
        bytes: frameOf(r.cmd, handles, params.bytes, auths),
        expected,
        paramsAt,
        paramsLength: params.bytes.length,
      };
    });
/** The frame with its responseSize rewritten to its actual length. */
function resized(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  if (out.length >= 6) new DataView(out.buffer).setUint32(2, out.length);
  return out;
}
const headerRc = (frame: Uint8Array) => new DataView(frame.buffer, frame.byteOffset).getUint32(6);

/**
 * Random frames that at least look like responses: the first bytes of the noise choose a tag
 * (usually TPM_ST_SESSIONS or _NO_SESSIONS), whether the rc is 0 (usually) and whether the
 * responseSize matches (usually).
 */
const TAGS = [TPM_ST.NO_SESSIONS, TPM_ST.SESSIONS, TPM_ST.NO_SESSIONS, TPM_ST.SESSIONS, TPM_ST.RSP_COMMAND];
const junkFrame = junk(220).map((b) => {
  if (b.length < 10) return b;
  const frame = b.slice();
  const view = new DataView(frame.buffer);
  const choice = b[0] ?? 0;
  view.setUint16(0, TAGS[choice % 5] ?? 0);
  if (choice & 0x10) view.setUint32(6, 0);
  if (choice & 0x20) view.setUint32(2, frame.length);
  return frame;
});

it("has a response fuzz case for every command in commands/index.ts", () => {
  expect(RESPONSES.map((r) => r.cmd.name).sort()).toEqual(
    Object.values(commands)
      .map((c) => c.name)
      .sort(),
  );
});

describe.each(RESPONSES.map((r) => [r.cmd.name, r] as const))("unmarshalResponse(%s)", (_, r) => {
  const decode = (frame: Uint8Array) => unmarshalResponse(r.cmd, frame) as CommandOutput<Command>;
  const frames = validFrame(r);
  let pool: fc.Arbitrary<Frame>;
  beforeAll(() => {
    pool = fc.constantFrom(...poolOf(frames));
  });
  /** Passes for a decoded frame, TpmDecodeError, or TpmResponseError when the header's rc is not 0. */
  const decodesOrRefusesFrame = (frame: Uint8Array) => {
    const out = attempt(() => decode(frame));
    if (out.ok || out.error instanceof TpmDecodeError) return;
    if (out.error instanceof TpmResponseError && frame.length >= 10 && headerRc(frame) !== 0) {
      if (out.error.rc !== headerRc(frame)) expect(out.error.rc).toBe(headerRc(frame));
      return;
    }
    throw new Error(`threw ${String(out.error)}`, { cause: out.error });
  };

  it("decodes a random frame, or refuses it with TpmDecodeError (TpmResponseError only for rc ≠ 0)", () => {
    fc.assert(fc.property(junkFrame, decodesOrRefusesFrame), { numRuns: FUZZ_RUNS });
  });

  it("decodes a valid frame with a few bytes overwritten, or refuses it with a typed error", () => {
    fc.assert(fc.property(mutated(pool.map((f) => f.bytes)), decodesOrRefusesFrame), {
      numRuns: FUZZ_RUNS,
    });
  });

  it("gives back the handles and parameters of a valid frame", () => {
    fc.assert(
      fc.property(frames, (f) => same({ ...decode(f.bytes) }, f.expected)),
      { numRuns: RUNS },
    );
  });

  it("refuses every strict prefix of a valid frame, even with its responseSize rewritten to match", () => {
    fc.assert(
      fc.property(frames, (f) => {
        const frame = f.bytes.slice();
        const view = new DataView(frame.buffer);
        for (let n = 0; n < frame.length; n++) {
          if (n >= 6) view.setUint32(2, n);
          refuses(() => decode(frame.subarray(0, n)));
        }
      }),
      { numRuns: PREFIX_RUNS },
    );
  });

  it("refuses a valid frame cut at a random point, with its responseSize rewritten to match", () => {
    fc.assert(
      fc.property(pool, fc.nat(), (f, at) => {
        refuses(() => decode(resized(f.bytes.subarray(0, at % f.bytes.length))));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a valid frame followed by trailing bytes, whether or not its size header agrees", () => {
    fc.assert(
      fc.property(pool, junk(16), (f, extra) => {
        fc.pre(extra.length > 0);
        const longer = cat(f.bytes, extra);
        matches(refuses(() => decode(longer)).message, /header says \d+ bytes but \d+ arrived/);
        refuses(() => decode(resized(longer)));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses a frame whose responseSize is larger than what arrived", () => {
    fc.assert(
      fc.property(pool, fc.integer({ min: 1, max: 0xffffffff }), (f, more) => {
        const frame = f.bytes.slice();
        new DataView(frame.buffer).setUint32(2, Math.min(frame.length + more, 0xffffffff));
        matches(refuses(() => decode(frame)).message, /header says \d+ bytes/);
      }),
      { numRuns: RUNS },
    );
  });

  if (r.cmd.authCount > 0) {
    it("refuses a parameterSize larger than the rest of the frame, before reading any parameter", () => {
      fc.assert(
        fc.property(pool, fc.integer({ min: 1, max: 0xffffffff }), (f, more) => {
          const frame = f.bytes.slice();
          const at = f.paramsAt - 4;
          new DataView(frame.buffer).setUint32(at, Math.min(frame.length - f.paramsAt + more, 0xffffffff));
          let err: TpmDecodeError | undefined;
          const read = largestRead(() => {
            err = refuses(() => decode(frame));
          });
          matches(err?.message ?? "", /needs \d+ more byte\(s\)/);
          expect(read).toBe(0);
        }),
        { numRuns: RUNS },
      );
    });

    it("refuses a parameterSize that leaves parameter bytes unread", () => {
      fc.assert(
        fc.property(pool, junk(8), (f, extra) => {
          fc.pre(extra.length > 0);
          const params = f.bytes.subarray(f.paramsAt, f.paramsAt + f.paramsLength);
          const auths = f.bytes.subarray(f.paramsAt + f.paramsLength);
          const head = f.bytes.subarray(0, f.paramsAt - 4);
          const frame = resized(cat(head, be32(params.length + extra.length), params, extra, auths));
          refuses(() => decode(frame));
        }),
        { numRuns: RUNS },
      );
    });
  }

  it("refuses a frame whose tag does not match how the command was sent", () => {
    fc.assert(
      fc.property(pool, (f) => {
        const frame = f.bytes.slice();
        new DataView(frame.buffer).setUint16(0, r.cmd.authCount > 0 ? TPM_ST.NO_SESSIONS : TPM_ST.SESSIONS);
        matches(refuses(() => decode(frame)).message, /does not match a command sent with/);
      }),
      { numRuns: RUNS },
    );
  });
});
