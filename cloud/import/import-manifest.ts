// Imports one device manifest on its own (a bundles/pending/<serial>.manifest file, or an
// application/cbor body): its own COSE signature must verify against a trusted station.
import { MANIFEST_LIMITS, type VerifiedManifest, verifyManifest } from "../../shared/formats/manifest.js";
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { checkItem } from "./check-item.js";
import { DeviceBatch } from "./device-batch.js";
import { DeviceChecker } from "./device-checks.js";
import { formatErrorToImportError } from "./format-errors.js";
import type { ImportOptions } from "./import-bundle.js";
import { ImportError, type ImportReport, summarize } from "./report.js";
import { acceptSigner, loadSigners } from "./signer.js";

async function readAll(source: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const c of source) {
    total += c.length;
    if (total > max)
      throw new ImportError(
        "IMPORT_MALFORMED",
        `the manifest is larger than ${max} bytes (MANIFEST_LIMITS.maxBytes)`,
      );
    chunks.push(c);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

export async function importManifest(
  registrar: Registrar,
  source: AsyncIterable<Uint8Array>,
  options: ImportOptions,
): Promise<ImportReport> {
  const bytes = await readAll(source, MANIFEST_LIMITS.maxBytes);
  const signers = await loadSigners(registrar.db);
  let verified: VerifiedManifest;
  try {
    verified = verifyManifest(bytes, signers.lookup);
  } catch (e) {
    throw formatErrorToImportError(e, "the manifest") ?? e;
  }
  const p = verified.payload;
  const station = acceptSigner(signers, verified.kid, p.station, `the manifest of device ${p.serial}`);
  const trust = await registrar.caTrust();
  const checker = new DeviceChecker(trust.store);
  const now = registrar.clock();
  return registrar.db.write(
    async (tx) => {
      const batch = new DeviceBatch(tx, {
        station: station.name,
        source: "manifest",
        check: async (items) => items.map((item) => checkItem(checker, station.name, item)),
        ahead: 0,
        now,
        caGeneration: trust.generation,
      });
      try {
        await batch.add({ index: 0, bytes, payload: p });
        await batch.finish();
      } catch (e) {
        await batch.drain();
        throw e;
      }
      const t = batch.tally;
      const report = {
        kind: "manifest" as const,
        station: station.name,
        seq: null,
        bundle_id: null,
        digest: null,
        count: 1,
        accepted: t.accepted,
        rejected: t.rejected,
        rejected_count: t.rejectedCount,
        duplicates: t.duplicates,
        chain: null,
        already_imported: t.duplicates === 1,
      };
      await appendAudit(
        tx,
        {
          actor: options.actor,
          action: "manifest.import",
          subject: p.serial,
          detail: {
            station: station.name,
            accepted: t.accepted,
            duplicate: t.duplicates === 1,
            ...(t.rejected[0] ? { rejected: t.rejected[0].reason } : {}),
          },
        },
        now,
      );
      return { ...report, summary: summarize(report) };
    },
    { alone: true },
  );
}
