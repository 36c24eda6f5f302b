// Imports one plain bundle (sealed ones arrive here opened): see import-file.ts for the rules.
import { type OpenedBundle, readBundle } from "../../shared/formats/bundle.js";
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { getStation } from "../store/stations.js";
import { evaluateChain, recordChain } from "./chain.js";
import { startChecking } from "./checking.js";
import { DeviceBatch } from "./device-batch.js";
import { formatErrorToImportError } from "./format-errors.js";
import { ImportError, type ImportReport, summarize } from "./report.js";
import { acceptSigner, loadSigners } from "./signer.js";

export interface ImportOptions {
  /** Who imports, for the audit log: "cli", "token:<id>"… */
  actor: string;
  /** Called after each batch of devices with the number seen so far (progress display). */
  onProgress?: (devices: number) => void;
}

/** Thrown inside the transaction to roll it back: this very bundle was imported before. */
class AlreadyImported extends Error {
  constructor(
    readonly row: {
      imported_at: number;
      count: number;
      accepted: number;
      rejected: number;
      chain_note: string | null;
    },
  ) {
    super("already imported");
  }
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export async function importBundle(
  registrar: Registrar,
  plain: AsyncIterable<Uint8Array>,
  kind: "bundle" | "sealed-bundle",
  options: ImportOptions,
): Promise<ImportReport> {
  const signers = await loadSigners(registrar.db);
  let opened: OpenedBundle;
  try {
    opened = await readBundle(plain, { stationKeys: signers.lookup });
  } catch (e) {
    throw formatErrorToImportError(e, "the bundle") ?? e;
  }
  const h = opened.header;
  const what = `bundle ${h.bundle_id} (seq ${h.seq})`;
  const station = acceptSigner(signers, opened.kid, h.station, what);
  const trust = await registrar.caTrust();
  const checking = await startChecking(trust.store, station.name, h.count);
  const now = registrar.clock();
  const base = { kind, station: station.name, seq: h.seq, bundle_id: h.bundle_id };
  try {
    return await registrar.db.write(
      async (tx) => {
        // Retired while the header was being read? The transaction sees the latest state.
        if ((await getStation(tx, station.name))?.retiredAt != null)
          throw new ImportError(
            "IMPORT_STATION_RETIRED",
            `${what} is signed by station ${station.name}, which is retired`,
          );
        const batch = new DeviceBatch(tx, {
          station: station.name,
          source: "bundle",
          check: checking.check,
          ahead: checking.ahead,
          now,
          caGeneration: trust.generation,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        try {
          for await (const item of opened.items) await batch.add(item);
          await batch.finish();
        } catch (e) {
          await batch.drain();
          throw formatErrorToImportError(e, what) ?? e;
        }
        const digest = opened.digest();
        const before = await tx.get<{
          imported_at: number;
          count: number;
          accepted: number;
          rejected: number;
          chain_note: string | null;
        }>("SELECT imported_at, count, accepted, rejected, chain_note FROM bundles WHERE digest = ?", [
          digest,
        ]);
        if (before) throw new AlreadyImported(before);
        const t = batch.tally;
        const verdict = await evaluateChain(tx, station.name, h, digest);
        // The devices inserted above are the range firstId…lastId (migration 3).
        await tx.run(
          `INSERT INTO bundles (digest, bundle_id, station, seq, prev, created_at, count, accepted, rejected, chain_note,
             imported_at, first_device, last_device)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            digest,
            h.bundle_id,
            station.name,
            h.seq,
            h.prev,
            h.created_at,
            h.count,
            t.accepted,
            t.rejectedCount,
            verdict.note,
            Math.floor(now / 1000),
            t.firstId,
            t.lastId,
          ],
        );
        await recordChain(tx, station.name, h, digest, verdict);
        const report = {
          ...base,
          digest: hex(digest),
          count: t.count,
          accepted: t.accepted,
          rejected: t.rejected,
          rejected_count: t.rejectedCount,
          duplicates: t.duplicates,
          chain: verdict,
          already_imported: false,
        };
        await appendAudit(
          tx,
          {
            actor: options.actor,
            action: "bundle.import",
            subject: `${station.name}#${h.seq}`,
            detail: {
              kind,
              bundle_id: h.bundle_id,
              digest: report.digest,
              count: t.count,
              accepted: t.accepted,
              rejected: t.rejectedCount,
              duplicates: t.duplicates,
              chain: verdict.status,
              chain_note: verdict.note,
            },
          },
          now,
        );
        return { ...report, summary: summarize(report) };
      },
      { alone: true },
    );
  } catch (e) {
    if (!(e instanceof AlreadyImported)) throw e;
    const on = new Date(e.row.imported_at * 1000).toISOString();
    const report = {
      ...base,
      digest: hex(opened.digest()),
      count: e.row.count,
      accepted: 0,
      rejected: [],
      rejected_count: 0,
      duplicates: e.row.accepted,
      chain: null,
      already_imported: true,
    };
    return {
      ...report,
      summary: `${kind === "sealed-bundle" ? "sealed bundle" : "bundle"} ${h.bundle_id} (seq ${h.seq}) from station ${station.name}: already imported on ${on}, nothing changed`,
    };
  } finally {
    await checking.close();
  }
}
