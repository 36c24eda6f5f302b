// The registrar's HTTP application (DESIGN §6): ops routes, the keylime-compatible agent API,
// and the admin API under /api/v1. Every answer is the {code, status, results} envelope;
// every error a JSON body whose status an operator can act on.
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { opsRoutes } from "../ops/routes.js";
import type { Registrar } from "../registrar/registrar.js";
import { adminRoutes } from "./admin/routes.js";
import { agentRoutes } from "./agents/routes.js";
import { domainError } from "./domain-errors.js";
import { ApiError, errorBody } from "./envelope.js";

export function createApp(registrar: Registrar): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    const start = performance.now();
    await next();
    registrar.metrics.latency.observe((performance.now() - start) / 1000, {
      route: `${c.req.method} ${c.req.routePath}`,
      status: String(c.res.status),
    });
  });

  app.route("/", opsRoutes(registrar));
  app.route("/", agentRoutes(registrar));
  app.route("/api/v1", adminRoutes(registrar));

  app.notFound((c) =>
    c.json(
      errorBody(new ApiError(404, "NOT_FOUND", `there is no ${c.req.method} ${new URL(c.req.url).pathname}`)),
      404,
    ),
  );

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err), err.status);
    const known = domainError(err);
    if (known) return c.json(errorBody(known), known.status);
    if (err instanceof HTTPException) {
      const e = new ApiError(
        err.status as ApiError["status"],
        "HTTP_ERROR",
        err.message || "request refused",
      );
      return c.json(errorBody(e), e.status);
    }
    // Not the client's fault: log it whole (no request body, so no secrets), answer briefly.
    console.error(`registrar: internal error on ${c.req.method} ${new URL(c.req.url).pathname}:`, err);
    return c.json(
      errorBody(new ApiError(500, "INTERNAL", "internal error in the registrar; the details are in its log")),
      500,
    );
  });

  return app;
}
