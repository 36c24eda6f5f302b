// Keylime-compatible agent API (DESIGN §6, keylime registrar API 2.1–2.6):
//   GET    /version
//   POST   /v{ver}/agents/{agent_id}            register: {ekcert, ek_tpm, aik_tpm, mtls_cert, ip, port} → {blob}
//   PUT    /v{ver}/agents/{agent_id}/activate   activate: {auth_tag}
//   PUT    /v{ver}/agents/{agent_id}            the same (older agents)
//   GET    /v{ver}/agents                       admin: active agent ids
//   GET    /v{ver}/agents/{agent_id}            admin: the agent, once active (404 before)
//   DELETE /v{ver}/agents/{agent_id}            admin
// Routes parse and validate and call cloud/registration, where the rules live; its refusals
// (RegistrationError) become 400/403/404 answers in the app's error handler (domain-errors.ts).
import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono } from "hono";
import type { Registrar } from "../../registrar/registrar.js";
import {
  beginRegistration,
  checkAgentId,
  completeActivation,
  listActiveAgents,
  parseRegistration,
  removeAgent,
  showActiveAgent,
} from "../../registration/index.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, errorBody, ok } from "../envelope.js";
import { RateLimiter } from "../rate-limit.js";
import { CURRENT_API_VERSION, checkApiVersion, SUPPORTED_API_VERSIONS } from "./api-version.js";
import { readActivationBody, readRegistrationBody } from "./request-body.js";

const AGENTS = "/:ver{v[^/]*}/agents";
const AGENT = `${AGENTS}/:agentId`;

const b64 = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString("base64"));

/** The peer's address, as the socket reports it. */
function sourceAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

export function agentRoutes(registrar: Registrar): Hono {
  const app = new Hono<{ Variables: AdminVariables }>();
  const byAddress = new RateLimiter(registrar.config.rateLimitPerAddress, registrar.clock);
  const byEk = new RateLimiter(registrar.config.rateLimitPerEk, registrar.clock);

  /** A 429 answer when `key` is over its limit, else undefined. */
  const overLimit = (c: Context, limiter: RateLimiter, which: "address" | "ek", key: string) => {
    const d = limiter.take(key);
    if (d.ok) return undefined;
    registrar.metrics.rateLimited.inc({ limit: which });
    const { requests, windowSeconds } = limiter.limit;
    const what = which === "address" ? `source address ${key}` : `EK ${key.slice(0, 16)}…`;
    const e = new ApiError(
      429,
      "RATE_LIMITED",
      `too many requests from ${what}: at most ${requests} per ${windowSeconds} s; retry in ${d.retryAfterSeconds} s`,
      { limit: which, retry_after: d.retryAfterSeconds },
    );
    return c.json(errorBody(e), 429, { "Retry-After": String(d.retryAfterSeconds) });
  };

  app.get("/version", (c) =>
    ok(c, { current_version: CURRENT_API_VERSION, supported_versions: [...SUPPORTED_API_VERSIONS] }),
  );

  // The agent-facing routes: version check, then the per-address limit.
  const agentFacing = async (c: Context, next: () => Promise<void>) => {
    checkApiVersion(c.req.param("ver") ?? "");
    const limited = overLimit(c, byAddress, "address", sourceAddress(c));
    if (limited) return limited;
    await next();
  };

  app.post(AGENT, agentFacing, async (c) => {
    const agentId = checkAgentId(c.req.param("agentId") ?? "");
    const request = await readRegistrationBody(c, agentId, registrar.config.maxJsonBytes);
    const parsed = parseRegistration(request);
    const limited = overLimit(c, byEk, "ek", parsed.ekPubSha256);
    if (limited) return limited;
    const begun = await beginRegistration(registrar, parsed, {
      kind: "online",
      actor: `agent:${sourceAddress(c)}`,
    });
    return ok(c, { blob: b64(begun.blob) });
  });

  const activate = async (c: Context) => {
    const agentId = checkAgentId(c.req.param("agentId") ?? "");
    const tag = await readActivationBody(c, registrar.config.maxJsonBytes);
    await completeActivation(registrar, agentId, tag, { actor: `agent:${sourceAddress(c)}` });
    return ok(c, {});
  };
  app.put(`${AGENT}/activate`, agentFacing, activate);
  app.put(AGENT, agentFacing, activate);

  const admin = (scope: "devices:read" | "devices:revoke") =>
    requireScope(registrar, scope, { allowMtls: true });
  const versioned = async (c: Context, next: () => Promise<void>) => {
    checkApiVersion(c.req.param("ver") ?? "");
    await next();
  };

  const list = async (c: Context) => ok(c, { uuids: await listActiveAgents(registrar) });
  app.get(AGENTS, versioned, admin("devices:read"), list);
  app.get(`${AGENTS}/`, versioned, admin("devices:read"), list);

  app.get(AGENT, versioned, admin("devices:read"), async (c) => {
    const agent = await showActiveAgent(registrar, c.req.param("agentId"));
    return ok(c, {
      aik_tpm: b64(agent.aikTpm),
      ek_tpm: b64(agent.ekTpm),
      ekcert: b64(agent.ekcert),
      mtls_cert: agent.mtlsCert,
      ip: agent.ip,
      port: agent.port,
      regcount: agent.regcount,
      active: agent.active,
    });
  });

  app.delete(AGENT, versioned, admin("devices:revoke"), async (c) => {
    await removeAgent(registrar, c.req.param("agentId"), c.get("actor"));
    return ok(c, {});
  });

  const outer = new Hono();
  outer.route("/", app);
  return outer;
}
