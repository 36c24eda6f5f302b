// One HTTP exchange with the registrar, over node:http or node:https (a private CA needs
// https.request's `ca`, which fetch cannot take without undici). Every answer of a keylime
// registrar is the JSON envelope {code, status, results} (DESIGN §6). The outcome is sorted
// into what the caller must do: use the answer, retry later (unreachable, 5xx, 429), or stop
// (4xx refusal, an answer that is not keylime's).
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { ConfigError, RegistrarAnswerError, RegistrarRefusedError } from "../errors.js";

export interface Envelope {
  code: number;
  status: string;
  results: Record<string, unknown>;
}

/** The registrar cannot be reached now, or said it cannot serve now: worth another try. */
export class TransientRegistrarError extends Error {
  override readonly name = "TransientRegistrarError";
  constructor(
    message: string,
    /** Seconds the registrar asked us to wait (Retry-After), if it did. */
    readonly retryAfterS?: number,
  ) {
    super(message);
  }
}

export interface HttpOptions {
  /** PEM of the CA that signed the registrar's certificate (https only). */
  ca?: string;
  timeoutMs?: number;
}

const MAX_ANSWER_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;

/** Node's codes for "nobody answered" (as opposed to "somebody answered wrongly"). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EPIPE",
  "ECONNABORTED",
  "UND_ERR_SOCKET",
]);

function read(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_ANSWER_BYTES) {
        res.destroy();
        reject(
          new RegistrarAnswerError(
            "REGISTRAR_ANSWER_TOO_LARGE",
            `the registrar's answer exceeds ${MAX_ANSWER_BYTES} bytes`,
          ),
        );
        return;
      }
      chunks.push(chunk);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", reject);
  });
}

function parseEnvelope(body: Buffer): Envelope | undefined {
  try {
    const v = JSON.parse(body.toString("utf8")) as Partial<Envelope>;
    if (typeof v !== "object" || v === null || typeof v.status !== "string") return undefined;
    const results = typeof v.results === "object" && v.results !== null ? v.results : {};
    return { code: typeof v.code === "number" ? v.code : 0, status: v.status, results };
  } catch {
    return undefined;
  }
}

/**
 * Sends one request. Returns the envelope of a 2xx answer; throws TransientRegistrarError,
 * RegistrarRefusedError (4xx), RegistrarAnswerError (not keylime's envelope) or ConfigError (TLS
 * trust). `what` names the step in messages ("the registration of agent X").
 */
export function exchange(
  method: "GET" | "POST" | "PUT",
  url: string,
  body: unknown,
  what: string,
  options: HttpOptions = {},
): Promise<Envelope> {
  const u = new URL(url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), "utf8");
  const send = u.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<Envelope>((resolve, reject) => {
    const req = send(
      u,
      {
        method,
        headers: {
          accept: "application/json",
          ...(payload ? { "content-type": "application/json", "content-length": payload.length } : {}),
        },
        ...(options.ca && u.protocol === "https:" ? { ca: options.ca } : {}),
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      },
      (res) => {
        read(res).then((raw) => {
          const status = res.statusCode ?? 0;
          const envelope = parseEnvelope(raw);
          if (status >= 500 || status === 429) {
            const after = Number(res.headers["retry-after"]);
            reject(
              new TransientRegistrarError(
                `the registrar answered HTTP ${status}${envelope ? ` (${envelope.status})` : ""}`,
                Number.isFinite(after) && after > 0 ? after : undefined,
              ),
            );
          } else if (status >= 400) {
            const code = envelope?.results["error"];
            reject(
              new RegistrarRefusedError(
                status,
                envelope?.status ?? (raw.toString("utf8").slice(0, 200) || "(no reason given)"),
                typeof code === "string" ? code : undefined,
                what,
              ),
            );
          } else if (status >= 200 && status < 300 && envelope) {
            resolve(envelope);
          } else {
            reject(
              new RegistrarAnswerError(
                "REGISTRAR_ANSWER_INVALID",
                `the registrar answered ${what} with HTTP ${status} and ${envelope ? "an unexpected status" : "a body that is not keylime's JSON envelope {code, status, results}"}: is ${u.origin} a keylime registrar?`,
              ),
            );
          }
        }, reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(Object.assign(new Error("no answer in time"), { code: "ETIMEDOUT" })),
    );
    req.on("error", (e: NodeJS.ErrnoException) => {
      const code = e.code ?? "";
      if (NETWORK_CODES.has(code)) {
        reject(new TransientRegistrarError(`cannot reach ${u.origin} (${code}: ${e.message})`));
      } else if (code.startsWith("ERR_TLS") || /CERT|SELF_SIGNED|UNABLE_TO_/.test(code)) {
        const err = new ConfigError(
          "REGISTRAR_TLS_UNTRUSTED",
          `the registrar at ${u.origin} presented a TLS certificate this agent does not trust (${code}: ${e.message}); pass the CA that signed it with --registrar-ca`,
        );
        reject(err);
      } else if (e instanceof RegistrarAnswerError || e instanceof RegistrarRefusedError) {
        reject(e);
      } else {
        reject(new TransientRegistrarError(`the connection to ${u.origin} failed (${code || e.message})`));
      }
    });
    req.end(payload);
  });
}
