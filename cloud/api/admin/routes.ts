// The admin API under /api/v1 (DESIGN §6): each concern in its own module.
import { Hono } from "hono";
import type { Registrar } from "../../registrar/registrar.js";
import { bundleRoutes } from "./bundles.js";

export function adminRoutes(registrar: Registrar): Hono {
  const app = new Hono();
  app.route("/", bundleRoutes(registrar));
  return app;
}
