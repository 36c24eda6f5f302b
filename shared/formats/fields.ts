// Field checkers for decoded CBOR payloads (manifests, offline files): each names the field's
// path in its error, e.g. "device manifest: eks[0].cert is larger than 65536 bytes", and
// throws the caller's own error class.
import { CborTag } from "./cbor.js";

export type PayloadObject = Record<string, unknown>;

export function isPayloadObject(v: unknown): v is PayloadObject {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Map) &&
    !(v instanceof CborTag)
  );
}

/** The checkers, bound to the payload's name (`what`) and the error to throw. */
export function fieldCheckers(what: string, makeError: (message: string) => Error) {
  const fail = (path: string, problem: string): never => {
    throw makeError(`${what}: ${path} ${problem}`);
  };
  const text = (v: unknown, path: string, max: number, allowEmpty = false): string => {
    if (typeof v !== "string") return fail(path, "is not text");
    if (!allowEmpty && v.length === 0) fail(path, "is empty");
    if (v.length > max) fail(path, `is longer than ${max} characters`);
    if (!allowEmpty && /[\u0000-\u001f\u007f]/.test(v)) fail(path, "contains control characters");
    return v;
  };
  const bytes = (v: unknown, path: string, max: number, allowEmpty = false): Uint8Array => {
    if (!(v instanceof Uint8Array)) return fail(path, "is not a byte string");
    if (!allowEmpty && v.length === 0) fail(path, "is empty");
    if (v.length > max) fail(path, `is larger than ${max} bytes`);
    return v;
  };
  return {
    fail,
    /** A map with text keys, with exactly these fields. */
    object(v: unknown, keys: readonly string[], path: string): PayloadObject {
      if (!isPayloadObject(v)) return fail(path, "is not a map with text keys");
      for (const k of keys) if (!Object.hasOwn(v, k)) fail(path, `has no field "${k}"`);
      // It has every field of `keys`: as many fields in all means none other.
      const own = Object.keys(v);
      if (own.length !== keys.length)
        for (const k of own) if (!keys.includes(k)) fail(path, `has an unknown field "${k}"`);
      return v;
    },
    /** Text; names (allowEmpty false) must be non-empty and free of control characters. */
    text,
    textOrNull: (v: unknown, path: string, max: number): string | null =>
      v === null ? null : text(v, path, max),
    bytes,
    bytesOrNull: (v: unknown, path: string, max: number): Uint8Array | null =>
      v === null ? null : bytes(v, path, max),
    oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string): T {
      if (typeof v !== "string" || !(allowed as readonly string[]).includes(v))
        fail(path, `is ${JSON.stringify(v)}, not one of ${allowed.join(", ")}`);
      return v as T;
    },
    uint(v: unknown, path: string, max = Number.MAX_SAFE_INTEGER): number {
      if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max)
        fail(path, "is not a non-negative integer in range");
      return v as number;
    },
    list(v: unknown, path: string, max: number): unknown[] {
      if (!Array.isArray(v)) return fail(path, "is not an array");
      if (v.length > max) fail(path, `has more than ${max} items`);
      return v;
    },
  };
}
