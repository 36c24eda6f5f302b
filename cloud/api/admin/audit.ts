// /api/v1/audit: read the audit log (newest first, paged) and verify its hash chain.
import { Hono } from "hono";
import { listAudit, verifyAuditLog } from "../../audit/audit-log.js";
import type { Registrar } from "../../registrar/registrar.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, ok } from "../envelope.js";

export function auditRoutes(registrar: Registrar): Hono<{ Variables: AdminVariables }> {
  const app = new Hono<{ Variables: AdminVariables }>();
  const read = requireScope(registrar, "audit:read");

  app.get("/audit", read, async (c) => {
    const before = c.req.query("before");
    const limit = c.req.query("limit") ?? "100";
    if ((before !== undefined && !/^\d{1,15}$/.test(before)) || !/^\d{1,4}$/.test(limit))
      throw new ApiError(400, "QUERY_INVALID", "before must be an entry number and limit at most 9999");
    const entries = await listAudit(registrar.db, {
      limit: Number(limit),
      ...(before === undefined ? {} : { before: Number(before) }),
    });
    return ok(c, { entries });
  });

  app.get("/audit/verify", read, async (c) => ok(c, await verifyAuditLog(registrar.db)));
  return app;
}
