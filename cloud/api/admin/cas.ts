// /api/v1/cas: the manufacturer CAs EK certificates must chain to.
import { Hono } from "hono";
import { parseCertificate } from "../../../shared/ekcert/certificate.js";
import { readCertificateInput } from "../../../shared/ekcert/input.js";
import type { Certificate } from "../../../shared/ekcert/types.js";
import { addCas, caJson, retireCaAudited } from "../../admin/cas.js";
import type { Registrar } from "../../registrar/registrar.js";
import { listCas } from "../../store/cas.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, ok } from "../envelope.js";
import { readJsonObject, textField } from "../json-body.js";

export function caRoutes(registrar: Registrar): Hono<{ Variables: AdminVariables }> {
  const app = new Hono<{ Variables: AdminVariables }>();
  const write = requireScope(registrar, "cas:write");

  app.get("/cas", requireScope(registrar, "devices:read"), async (c) =>
    ok(c, { cas: (await listCas(registrar.db, c.req.query("all") === "true")).map((ca) => caJson(ca)) }),
  );

  /** Body {certificates: PEM text (one or more certificates)}. */
  app.post("/cas", write, async (c) => {
    const body = await readJsonObject(c, registrar.config.maxJsonBytes);
    const pem = textField(body, "certificates", registrar.config.maxJsonBytes);
    let certs: Certificate[];
    try {
      certs = readCertificateInput(new TextEncoder().encode(pem)).map((der) => parseCertificate(der));
    } catch (e) {
      throw new ApiError(400, "FIELD_INVALID", `certificates: ${(e as Error).message}`);
    }
    if (certs.length === 0) throw new ApiError(400, "FIELD_INVALID", "certificates: no certificate found");
    const r = await addCas(
      registrar,
      certs.map((cert) => ({ cert, source: "api" })),
      c.get("actor"),
    );
    return ok(c, { added: r.added.map((ca) => caJson(ca)), unchanged: r.unchanged }, 201, "Created");
  });

  app.post("/cas/:id/retire", write, async (c) =>
    ok(c, caJson(await retireCaAudited(registrar, c.req.param("id"), c.get("actor")))),
  );

  return app;
}
