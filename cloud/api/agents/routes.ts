// Keylime-compatible agent API (DESIGN §6). Being built (issue 5).
import { Hono } from "hono";
import type { Registrar } from "../../registrar/registrar.js";

export function agentRoutes(_registrar: Registrar): Hono {
  return new Hono();
}
