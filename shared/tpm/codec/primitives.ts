// Building blocks for the structures of TPM 2.0 Part 2. Each returns a Codec; structures are
// composed from these and nothing else, so there is one place to fix and one place to fuzz.
import type { Codec, Infer, Reader, Writer } from "./codec.js";

// biome-ignore lint/suspicious/noExplicitAny: codec maps are heterogeneous by nature
type AnyCodec = Codec<any>;

function scalar<T>(name: string, encode: (w: Writer, v: T) => void, decode: (r: Reader) => T): Codec<T> {
  return { name, encode, decode };
}

export const u8: Codec<number> = scalar(
  "UINT8",
  (w, v) => w.u8(v),
  (r) => r.u8(),
);
export const u16: Codec<number> = scalar(
  "UINT16",
  (w, v) => w.u16(v),
  (r) => r.u16(),
);
export const u32: Codec<number> = scalar(
  "UINT32",
  (w, v) => w.u32(v),
  (r) => r.u32(),
);
export const u64: Codec<bigint> = scalar(
  "UINT64",
  (w, v) => w.u64(v),
  (r) => r.u64(),
);

/** A u8 used as a boolean (TPMI_YES_NO): only 0 and 1 are valid. */
export const yesNo: Codec<boolean> = scalar(
  "TPMI_YES_NO",
  (w, v) => w.u8(v ? 1 : 0),
  (r) => {
    const v = r.u8();
    if (v > 1) r.fail(`TPMI_YES_NO must be 0 or 1, got ${v}`);
    return v === 1;
  },
);

/** A numeric type restricted to the given values (a TPMI_ interface type). */
export function oneOf<const V extends number>(
  name: string,
  base: Codec<number>,
  values: readonly V[],
): Codec<V> {
  const allowed = new Set<number>(values);
  const hex = (v: unknown) => (typeof v === "number" ? `0x${v.toString(16).padStart(4, "0")}` : String(v));
  return {
    name,
    encode(w, v) {
      if (!allowed.has(v)) w.fail(`${hex(v)} is not a valid ${name}`);
      base.encode(w, v);
    },
    decode(r) {
      const v = base.decode(r);
      if (!allowed.has(v)) r.fail(`${hex(v)} is not a valid ${name}`);
      return v as V;
    },
  };
}

/** A field that always holds one value, e.g. TPM_GENERATED_VALUE in TPMS_ATTEST.magic. */
export function constant<const V extends number>(name: string, base: Codec<number>, value: V): Codec<V> {
  return oneOf(name, base, [value]);
}

/** Exactly n raw bytes. */
export function fixed(name: string, n: number): Codec<Uint8Array> {
  return {
    name,
    encode(w, v) {
      if (!(v instanceof Uint8Array)) w.fail("expected bytes (Uint8Array)");
      if (v.length !== n) w.fail(`must be exactly ${n} bytes, got ${v.length}`);
      w.bytes(v);
    },
    decode: (r) => r.bytes(n),
  };
}

/**
 * A TPM2B of raw bytes: u16 size, then that many bytes. `max` is the largest size the
 * specification allows for this buffer (e.g. sizeof(TPMU_HA) for a TPM2B_DIGEST); anything
 * bigger is refused before it is read.
 */
export function tpm2b(name: string, max: number): Codec<Uint8Array> {
  return {
    name,
    encode(w, v) {
      if (!(v instanceof Uint8Array)) w.fail("expected bytes (Uint8Array)");
      if (v.length > max) w.fail(`${v.length} bytes exceed the maximum of ${max}`);
      w.u16(v.length);
      w.bytes(v);
    },
    decode(r) {
      const size = r.u16();
      if (size > max) r.fail(`size ${size} exceeds the maximum of ${max}`);
      return r.bytes(size);
    },
  };
}

/**
 * A TPM2B that wraps a structure (TPM2B_PUBLIC, TPM2B_ECC_POINT, …): the u16 size covers
 * exactly the inner structure, which must use every byte of it.
 */
export function sized<T>(name: string, inner: Codec<T>): Codec<T> {
  return {
    name,
    encode(w, v) {
      w.sized16(() => w.within(inner.name, () => inner.encode(w, v)));
    },
    decode(r) {
      const size = r.u16();
      if (size === 0) r.fail(`size is 0 but a ${inner.name} is required`);
      const sub = r.sub(size);
      const v = sub.field(inner.name, inner);
      if (sub.remaining !== 0)
        r.fail(`size field says ${size} but the ${inner.name} uses ${size - sub.remaining}`);
      return v;
    },
  };
}

type Fields = Record<string, AnyCodec>;
export type StructValue<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** A codec whose fields can be decoded into an object the caller made (see variant). */
interface FieldsCodec<T> extends Codec<T> {
  /** Decodes the fields, in order, as properties of `out`. */
  decodeInto(r: Reader, out: Record<string, unknown>): void;
}

/** A structure: its fields in specification order (object key order). */
export function struct<F extends Fields>(
  name: string,
  fields: F,
): FieldsCodec<StructValue<F>> & { fields: F } {
  const entries = Object.entries(fields);
  // Decoding walks plain arrays: the bulk import decodes a public area per device.
  const keys = entries.map(([key]) => key);
  const codecs = entries.map(([, codec]) => codec);
  const decodeInto = (r: Reader, out: Record<string, unknown>): void => {
    for (let i = 0; i < keys.length; i++) out[keys[i]!] = r.field(keys[i]!, codecs[i]!);
  };
  return {
    name,
    fields,
    encode(w, v) {
      if (typeof v !== "object" || v === null) w.fail("expected an object");
      for (const [key, codec] of entries)
        w.within(key, () => codec.encode(w, (v as Record<string, unknown>)[key]));
    },
    decode(r) {
      const out: Record<string, unknown> = {};
      decodeInto(r, out);
      return out as StructValue<F>;
    },
    decodeInto,
  };
}

type Arm = readonly [number, Codec<object>];
type ArmValue<Tag extends string, A> = A extends readonly [infer N, Codec<infer V>]
  ? { [P in Tag]: N } & V
  : never;
export type VariantValue<Tag extends string, Arms extends readonly Arm[]> = {
  [K in keyof Arms]: ArmValue<Tag, Arms[K]>;
}[number];

/**
 * A tagged union: a selector field, then the structure it selects (Part 2 §4.1 "unions").
 * The selector and the arm's fields are flattened into one object, which TypeScript
 * narrows on the selector: `if (pub.type === TPM_ALG.RSA) pub.parameters.keyBits`.
 * `prefix` holds fields that come before the selector (TPMS_ATTEST.magic).
 */
export function variant<
  const Tag extends string,
  const Arms extends readonly Arm[],
  P extends object = object,
>(
  name: string,
  tag: Tag,
  tagCodec: Codec<number>,
  arms: Arms,
  prefix?: Codec<P>,
): Codec<P & VariantValue<Tag, Arms>> {
  const byTag = new Map<number, Codec<object>>(arms.map(([t, c]) => [t, c]));
  const hex = (t: number) => `0x${t.toString(16).padStart(4, "0")}`;
  const known = () => [...byTag.keys()].map(hex).join(", ");
  return {
    name,
    encode(w, v) {
      if (typeof v !== "object" || v === null) w.fail("expected an object");
      prefix?.encode(w, v);
      const t = (v as Record<string, number>)[tag];
      const arm = t === undefined ? undefined : byTag.get(t);
      if (t === undefined || !arm) return w.fail(`${tag} ${String(t)} is not one of ${known()}`);
      w.within(tag, () => tagCodec.encode(w, t));
      arm.encode(w, v as object);
    },
    decode(r) {
      // One object, filled in order (prefix fields, selector, arm fields), not spread together.
      const out = (prefix ? prefix.decode(r) : {}) as Record<string, unknown>;
      const t = r.field(tag, tagCodec);
      const arm = byTag.get(t);
      if (!arm) return r.fail(`${tag} ${hex(t)} is not one of ${known()}`);
      out[tag] = t;
      if ("decodeInto" in arm) (arm as FieldsCodec<object>).decodeInto(r, out);
      else Object.assign(out, arm.decode(r));
      return out as P & VariantValue<Tag, Arms>;
    },
  };
}

/**
 * The rest of an enclosing sized region, for fields whose length is implied rather than
 * written (TPMS_ID_OBJECT.encIdentity). Only meaningful inside `sized` or `unmarshal`.
 */
export function rest(name: string, max: number): Codec<Uint8Array> {
  return {
    name,
    encode(w, v) {
      if (!(v instanceof Uint8Array)) w.fail("expected bytes (Uint8Array)");
      if (v.length > max) w.fail(`${v.length} bytes exceed the maximum of ${max}`);
      w.bytes(v);
    },
    decode(r) {
      if (r.remaining > max) r.fail(`${r.remaining} bytes exceed the maximum of ${max}`);
      return r.bytes(r.remaining);
    },
  };
}

/** A TPML_ list: u32 count, then that many items; `max` bounds the count before any is read. */
export function list<T>(name: string, item: Codec<T>, max: number): Codec<T[]> {
  return {
    name,
    encode(w, v) {
      if (!Array.isArray(v)) w.fail("expected an array");
      if (v.length > max) w.fail(`${v.length} items exceed the maximum of ${max}`);
      w.u32(v.length);
      for (const [i, x] of v.entries()) w.within(`[${i}]`, () => item.encode(w, x));
    },
    decode(r) {
      const count = r.u32();
      if (count > max) r.fail(`count ${count} exceeds the maximum of ${max}`);
      const out: T[] = [];
      for (let i = 0; i < count; i++) out.push(r.field(`[${i}]`, item));
      return out;
    },
  };
}

/** The empty structure, for union arms that carry nothing (TPM_ALG_NULL). */
export const empty = struct("TPMS_EMPTY", {});
