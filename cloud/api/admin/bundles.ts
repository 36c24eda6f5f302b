// POST /api/v1/bundles (DESIGN §6). Being built (issue 5).
import { Hono } from "hono";
import type { Registrar } from "../../registrar/registrar.js";

export function bundleRoutes(_registrar: Registrar): Hono {
  return new Hono();
}
