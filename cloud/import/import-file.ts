// Importing factory files into the registrar (DESIGN §5, §6; issue 5): manifests, bundles and
// sealed bundles, told apart by content, from the CLI (`registrar import`) or the API
// (`POST /api/v1/bundles`).
//
// What refuses the WHOLE file (an ImportError; nothing of it is stored, the refusal is audited):
//   - not a manifest, bundle or sealed bundle, or not CBOR of DESIGN §5   IMPORT_MALFORMED
//   - a sealed bundle the registrar cannot open (no keys yet, sealed to another registrar's
//     key, altered or truncated)                                            IMPORT_SEALED
//   - a signature by a key no station has                                   IMPORT_UNKNOWN_STATION
//   - a signature by a retired station                                      IMPORT_STATION_RETIRED
//   - a signature that does not verify                                      IMPORT_BAD_SIGNATURE
//   - a header (or manifest) naming another station than its signer        IMPORT_STATION_MISMATCH
//   - a manifest item that does not match its digest in the signed header,
//     or items missing or extra                                             IMPORT_TAMPERED
// Items are checked as they stream past, inside the import's transaction, so a bad item late
// in a bundle rolls back everything before it.
//
// What refuses ONE device (listed in the report's `rejected` with its index, serial and reason;
// the other devices are imported): a manifest that cannot be decoded or names another station;
// an EK whose `pub` is not the key `ek_pub_sha256` names or not of its `alg`; an EK certificate
// that certifies another key or does not verify against the registrar's manufacturer CAs at the
// capture time ("… does not chain to a trusted manufacturer CA: …"); an EK already registered
// to a device of another station ("captured by two stations: X and Y") or to a device
// earlier in the same file. EKs without a
// certificate are recorded as such (cert null); admission decides about them later.
// A device already imported from the same station is left unchanged and counted in
// `duplicates`. Inside a bundle, manifests are bound by the header's digests and signature;
// a manifest imported alone has its own signature verified.
//
// The station chain (chain.ts): `first`, `in-order`, `gap` (the missing seqs are named) or
// `fork`. Gaps and forks are reported in the report, in bundles.chain_note and in the audit
// entry, and the bundle's good devices are still imported: a lost file must not block every
// later one, and each device is checked on its own. A fork does not move the station's head.
//
// Re-importing a bundle with the same plain digest (the bundles table) changes nothing:
// `already_imported` is true and the summary says when it was imported.
//
// The report (report.ts): {kind, station, seq, bundle_id, digest, count, accepted,
// rejected: [{index, serial, reason}] (at most 10,000 listed; rejected_count counts them all),
// rejected_count, duplicates, chain: {status, note} | null, already_imported, summary}.
//
// Transactions and memory: one import is ONE write transaction run alone
// (db.write(…, {alone: true})): a crash (kill -9) mid-import leaves the file wholly in or
// wholly out; other writes wait for it. Devices are decoded and checked in batches of 500
// (in worker threads from 5,000 devices on: checking.ts), then looked up and inserted in
// order with multi-row INSERTs while the next batches are checked. Memory holds the batches
// in flight, the header's digests and the rejections listed, whatever the bundle's size; the
// chain certificates manifests carry are verified once per import (device-checks.ts). Each
// import adds one audit entry, in the same transaction; a refused file adds an
// "import.rejected" entry in a transaction of its own (and nothing else).
import { openStream, type X25519KeyPair } from "../../shared/formats/seal.js";
import { appendAudit } from "../audit/audit-log.js";
import { readSealKeyPair } from "../registrar/keys.js";
import type { Registrar } from "../registrar/registrar.js";
import { detectFile } from "./detect.js";
import { formatErrorToImportError } from "./format-errors.js";
import { type ImportOptions, importBundle } from "./import-bundle.js";
import { importManifest } from "./import-manifest.js";
import { ImportError, type ImportKind, type ImportReport } from "./report.js";

export type { ImportOptions } from "./import-bundle.js";

async function sealKeys(registrar: Registrar): Promise<X25519KeyPair> {
  try {
    return await readSealKeyPair(registrar.db);
  } catch (e) {
    throw new ImportError(
      "IMPORT_SEALED",
      `this is a sealed bundle, but the registrar cannot open it: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

/** Opens a sealed stream, turning its errors (raised while the bundle is read) into ImportErrors. */
async function* opened(sealed: AsyncIterable<Uint8Array>, keys: X25519KeyPair): AsyncGenerator<Uint8Array> {
  try {
    yield* openStream(sealed, keys);
  } catch (e) {
    throw formatErrorToImportError(e, "the sealed bundle") ?? e;
  }
}

/**
 * Imports a manifest, bundle or sealed bundle read from `source`. Resolves to the report;
 * rejects with ImportError when the whole file is refused (see above), with anything else
 * (a StoreError, a source that fails) as it is.
 */
export async function importFile(
  registrar: Registrar,
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ImportOptions,
): Promise<ImportReport> {
  let kind: ImportKind | "unknown" = "unknown";
  try {
    const file = await detectFile(source);
    let report: ImportReport;
    if (file.kind === "manifest") {
      kind = "manifest";
      report = await importManifest(registrar, file.stream, options);
    } else if (file.kind === "sealed") {
      kind = "sealed-bundle";
      report = await importBundle(registrar, opened(file.stream, await sealKeys(registrar)), kind, options);
    } else {
      kind = "bundle";
      report = await importBundle(registrar, file.stream, kind, options);
    }
    const outcome = report.already_imported
      ? "already-imported"
      : report.rejected_count > 0
        ? "partial"
        : "imported";
    registrar.metrics.imports.inc({ kind, outcome });
    registrar.metrics.importedDevices.inc({}, report.accepted);
    return report;
  } catch (e) {
    const refusal = formatErrorToImportError(e, "the file");
    if (!refusal) throw e;
    registrar.metrics.imports.inc({ kind, outcome: refusal.code.toLowerCase() });
    await registrar.db
      .write((tx) =>
        appendAudit(
          tx,
          {
            actor: options.actor,
            action: "import.rejected",
            detail: { kind, code: refusal.code, reason: refusal.message },
          },
          registrar.clock(),
        ),
      )
      .catch(() => undefined);
    throw refusal;
  }
}
