// Admin authentication (DESIGN §6): a bearer token with the route's scope, or, where a route
// allows it (keylime's GET/DELETE agent routes, as keylime's tenant uses them), a TLS client
// certificate issued by the configured admin CA. No credentials → 401; a token without the
// scope → 403.
import type { TLSSocket } from "node:tls";
import type { Context, MiddlewareHandler } from "hono";
import type { Registrar } from "../registrar/registrar.js";
import { findLiveToken, type Scope } from "../store/tokens.js";
import { ApiError } from "./envelope.js";

/** Who made an admin request, for the audit log: "token:<id>" or "mtls:<subject CN>". */
export type AdminActor = string;

export type AdminVariables = { actor: AdminActor };

/** The verified TLS client certificate's subject, when the request came with one. */
function mtlsSubject(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: unknown } } | undefined)?.incoming;
  const socket = incoming?.socket as TLSSocket | undefined;
  if (!socket || typeof socket.getPeerCertificate !== "function" || !socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const cn = cert.subject?.CN;
  return Array.isArray(cn) ? cn.join(",") : (cn ?? "client");
}

export function requireScope(
  registrar: Registrar,
  scope: Scope,
  options: { allowMtls?: boolean } = {},
): MiddlewareHandler<{ Variables: AdminVariables }> {
  return async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined) {
      const subject = options.allowMtls ? mtlsSubject(c) : undefined;
      if (subject !== undefined) {
        c.set("actor", `mtls:${subject}`);
        return next();
      }
      throw new ApiError(
        401,
        "UNAUTHENTICATED",
        `this endpoint needs a bearer token with scope ${scope}${options.allowMtls ? " or an admin client certificate" : ""} (create one with 'registrar tokens create --scopes ${scope}')`,
      );
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const info = m ? await findLiveToken(registrar.db, m[1]!, registrar.clock()) : undefined;
    if (!info) throw new ApiError(401, "TOKEN_INVALID", "the bearer token is not valid, revoked or expired");
    if (!info.scopes.includes(scope))
      throw new ApiError(
        403,
        "SCOPE_MISSING",
        `token ${info.id} lacks scope ${scope} (it has ${info.scopes.join(", ")})`,
      );
    c.set("actor", `token:${info.id}`);
    return next();
  };
}
