// POST /api/v1/bundles (DESIGN §6): imports a bundle, sealed bundle or single manifest sent
// as an application/cbor body (cloud/import), with registrar.config.maxBundleBytes as the
// limit (413 beyond it). Scope bundles:import.
//
// The body is first streamed to a temporary file, then imported from it: an import holds the
// database's write queue for its whole transaction, and a slow (or stalling) upload must not
// hold every other write with it. Memory stays bounded either way.
//
// Answers: 200 with the import report (cloud/import/report.ts) when the file was imported,
// even with rejected devices (they are listed in it) or when it was imported before
// (already_imported). A refused file answers with the ImportError's code as results.error:
//   400 IMPORT_MALFORMED          not a manifest, bundle or sealed bundle of DESIGN §5
//   403 IMPORT_UNKNOWN_STATION    signed by a key no trusted station has
//   403 IMPORT_STATION_RETIRED    signed by a retired station
//   422 IMPORT_BAD_SIGNATURE      the station signature does not verify
//   422 IMPORT_STATION_MISMATCH   the header names another station than its signer
//   422 IMPORT_TAMPERED           an item does not match the signed header's digest, or items are missing
//   422 IMPORT_SEALED             a sealed bundle this registrar cannot open (no keys, another key, altered)
//   413 BODY_TOO_LARGE, 415 UNSUPPORTED_MEDIA_TYPE (a body that is not application/cbor)
// 403 for the station errors, as for any other untrusted signer; 422 for a file that is
// well-formed but whose content cannot be accepted.
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { importFile } from "../../import/import-file.js";
import { ImportError, type ImportErrorCode } from "../../import/report.js";
import type { Registrar } from "../../registrar/registrar.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, ok } from "../envelope.js";

const STATUS: Record<ImportErrorCode, ContentfulStatusCode> = {
  IMPORT_MALFORMED: 400,
  IMPORT_UNKNOWN_STATION: 403,
  IMPORT_STATION_RETIRED: 403,
  IMPORT_BAD_SIGNATURE: 422,
  IMPORT_STATION_MISMATCH: 422,
  IMPORT_TAMPERED: 422,
  IMPORT_SEALED: 422,
};

const tooLarge = (max: number) =>
  new ApiError(413, "BODY_TOO_LARGE", `the bundle is larger than the limit of ${max} bytes (maxBundleBytes)`);

/** The request body as a stream of chunks, refusing (413) as soon as it exceeds `max` bytes. */
async function* limitedBody(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): AsyncGenerator<Uint8Array> {
  if (body === null) return;
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.length;
      if (total > max) throw tooLarge(max);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

export function bundleRoutes(registrar: Registrar): Hono {
  const app = new Hono<{ Variables: AdminVariables }>();
  app.post("/bundles", requireScope(registrar, "bundles:import"), async (c) => {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/cbor")
      throw new ApiError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        `send the bundle or manifest as Content-Type: application/cbor${type ? `, not ${type}` : ""}`,
      );
    const max = registrar.config.maxBundleBytes;
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) > max) throw tooLarge(max);
    const dir = await mkdtemp(join(tmpdir(), "registrar-upload-"));
    try {
      const file = join(dir, "upload.cbor");
      await pipeline(limitedBody(c.req.raw.body, max), createWriteStream(file, { mode: 0o600 }));
      const report = await importFile(registrar, createReadStream(file), { actor: c.get("actor") });
      return ok(c, report);
    } catch (e) {
      if (e instanceof ImportError) throw new ApiError(STATUS[e.code], e.code, e.message);
      throw e;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return app as unknown as Hono;
}
