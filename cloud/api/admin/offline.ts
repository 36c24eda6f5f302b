// /api/v1/offline: offline registration through the API (DESIGN §5), for a registrar whose
// operators carry the files to an admin workstation rather than to the registrar's host.
// challenge: body = the request file (application/cbor), answer = the signed challenge file
// (application/cbor). activate: body = the response file, answer = the activation (JSON).
import { Hono } from "hono";
import { activateOffline, issueOfflineChallenge } from "../../offline/offline.js";
import type { Registrar } from "../../registrar/registrar.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, ok } from "../envelope.js";
import { readBodyBytes } from "../json-body.js";

const MAX_FILE_BYTES = 256 * 1024;

export function offlineRoutes(registrar: Registrar): Hono<{ Variables: AdminVariables }> {
  const app = new Hono<{ Variables: AdminVariables }>();
  const write = requireScope(registrar, "devices:write");
  const cbor = (type: string | undefined) => {
    if (!type?.startsWith("application/cbor"))
      throw new ApiError(415, "CONTENT_TYPE", "send the offline file as Content-Type: application/cbor");
  };

  app.post("/offline/challenge", write, async (c) => {
    cbor(c.req.header("content-type"));
    const issued = await issueOfflineChallenge(
      registrar,
      await readBodyBytes(c, MAX_FILE_BYTES),
      c.get("actor"),
    );
    return c.body(issued.file as Uint8Array<ArrayBuffer>, 200, {
      "content-type": "application/cbor",
      "content-disposition": `attachment; filename="${issued.agentId.replace(/[^A-Za-z0-9._-]/g, "_")}.challenge"`,
    });
  });

  app.post("/offline/activate", write, async (c) => {
    cbor(c.req.header("content-type"));
    const a = await activateOffline(registrar, await readBodyBytes(c, MAX_FILE_BYTES), c.get("actor"));
    return ok(c, { agent_id: a.agentId, device_id: a.deviceId, active: true });
  });

  return app;
}
