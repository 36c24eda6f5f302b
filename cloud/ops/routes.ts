// Operations endpoints: /healthz (the database answers), /metrics (Prometheus), /openapi.json.
import { Hono } from "hono";
import { ok } from "../api/envelope.js";
import type { Registrar } from "../registrar/registrar.js";
import { openApiDocument } from "./openapi.js";

export function opsRoutes(registrar: Registrar): Hono {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    await registrar.db.get("SELECT 1 AS ok");
    return ok(c, { healthy: true });
  });
  app.get("/metrics", (c) =>
    c.text(registrar.metrics.expose(), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }),
  );
  app.get("/openapi.json", (c) => c.json(openApiDocument()));
  return app;
}
