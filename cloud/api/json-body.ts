// Reading JSON request bodies as hostile input: a size limit enforced while reading (not only
// from Content-Length), a clear 4xx for anything that is not a JSON object, and field readers
// that name the field in their error. Strict base64: a wrong character or length is refused,
// never silently skipped as Buffer.from(…, "base64") would.
import type { Context } from "hono";
import { ApiError } from "./envelope.js";

export type JsonObject = Record<string, unknown>;

/** The request body as bytes, refusing more than `maxBytes` (413) as soon as it is exceeded. */
export async function readBodyBytes(c: Context, maxBytes: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new ApiError(413, "BODY_TOO_LARGE", `the request body is larger than the limit of ${maxBytes} bytes`);
  const declared = c.req.header("content-length");
  if (declared !== undefined) {
    if (!/^\d{1,15}$/.test(declared))
      throw new ApiError(400, "BODY_LENGTH", "Content-Length is not a number");
    if (Number(declared) > maxBytes) throw tooLarge();
    // Node's HTTP parser delivers exactly Content-Length bytes, so the body cannot outgrow the
    // check above: read it whole, on @hono/node-server's fast path (no web stream per request).
    return new Uint8Array(await c.req.raw.arrayBuffer());
  }
  // Chunked, no length announced: count while reading and stop at the limit.
  const body = c.req.raw.body;
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** The body as a JSON object (400 otherwise). */
export async function readJsonObject(c: Context, maxBytes: number): Promise<JsonObject> {
  const bytes = await readBodyBytes(c, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ApiError(400, "BODY_NOT_JSON", `the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ApiError(400, "BODY_NOT_OBJECT", "the request body must be a JSON object");
  return value as JsonObject;
}

const missing = (name: string) => new ApiError(400, "FIELD_MISSING", `the field "${name}" is missing`);

/** With the u flag, only a surrogate that is not half of a pair is a code point of category Cs. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

/** A string field (400 when missing, not a string, empty, or longer than `max` characters). */
function stringField(body: JsonObject, name: string, max: number): string {
  const v = body[name];
  if (v === undefined || v === null) throw missing(name);
  if (typeof v !== "string") throw new ApiError(400, "FIELD_TYPE", `the field "${name}" must be a string`);
  if (v.length === 0) throw new ApiError(400, "FIELD_EMPTY", `the field "${name}" is empty`);
  if (v.length > max)
    throw new ApiError(400, "FIELD_TOO_LONG", `the field "${name}" is longer than ${max} characters`);
  return v;
}

/** A text field: a string field that is also valid Unicode. */
export function textField(body: JsonObject, name: string, max = 4096): string {
  const v = stringField(body, name, max);
  // JSON may escape half a UTF-16 pair ("\ud83d"), which no UTF-8 text can hold: stored, it
  // would come back changed. Refused instead.
  if (UNPAIRED_SURROGATE.test(v))
    throw new ApiError(
      400,
      "FIELD_NOT_TEXT",
      `the field "${name}" is not valid Unicode text: it holds an unpaired surrogate (a lone \\uD800–\\uDFFF escape)`,
    );
  return v;
}

/** The same, or undefined when absent or null. */
export function optionalTextField(body: JsonObject, name: string, max = 4096): string | undefined {
  const v = body[name];
  return v === undefined || v === null ? undefined : textField(body, name, max);
}

/** Decodes strict base64 (standard alphabet, padded); throws ApiError 400 naming the field. */
export function decodeBase64Strict(text: string, name: string, maxBytes: number): Uint8Array {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0) throw new ApiError(400, "FIELD_EMPTY", `the field "${name}" is empty`);
  if (compact.length > Math.ceil(maxBytes / 3) * 4)
    throw new ApiError(400, "FIELD_TOO_LONG", `the field "${name}" decodes to more than ${maxBytes} bytes`);
  // Node's decoder skips what is not base64 and tolerates missing padding, so the text is
  // strict base64 exactly when it is what encoding its bytes gives back (a round trip costs a
  // few µs; an anchored regular expression over a certificate's text cost ten times that).
  const bytes = Buffer.from(compact, "base64");
  if (bytes.toString("base64") !== compact)
    throw new ApiError(400, "FIELD_NOT_BASE64", `the field "${name}" is not valid base64`);
  return new Uint8Array(bytes);
}

/** A base64 field, decoded. */
export function base64Field(body: JsonObject, name: string, maxBytes: number): Uint8Array {
  // The strict base64 check refuses every character outside its alphabet, surrogates included.
  return decodeBase64Strict(stringField(body, name, Math.ceil(maxBytes / 3) * 4 + 64), name, maxBytes);
}

/** An integer field in [min, max], or undefined when absent or null. */
export function optionalIntField(
  body: JsonObject,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max)
    throw new ApiError(400, "FIELD_TYPE", `the field "${name}" must be an integer from ${min} to ${max}`);
  return n;
}
