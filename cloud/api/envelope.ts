// Every answer of the registrar, success or error, is keylime's JSON envelope
// `{code, status, results}` (DESIGN §6): keylime tooling reads it on the agent API, and one
// shape everywhere is simpler for scripts. Errors carry a stable `results.error` code and a
// `status` message an operator can act on.
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export interface Envelope<T = Record<string, unknown>> {
  code: number;
  status: string;
  results: T;
}

/** A refusal or failure the API reports as such: the status code, a stable code, the reason. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function ok<T extends object>(
  c: Context,
  results: T,
  status: ContentfulStatusCode = 200,
  message = "Success",
) {
  return c.json({ code: status, status: message, results } satisfies Envelope<T>, status);
}

export function errorBody(e: ApiError): Envelope {
  return { code: e.status, status: e.message, results: { error: e.code, ...(e.details ?? {}) } };
}
