// The import report (see import-file.ts for the rules it reports on) and the error that
// refuses a whole file. Services know nothing of HTTP: the API maps each `code` to a status.

/** Where a bundle sits in its station's chain (DESIGN §5: `seq`, `prev`). */
export type ChainStatus = "in-order" | "first" | "gap" | "fork";

/** A device of the file that was not imported, and why. */
export interface RejectedDevice {
  /** Its item index in the bundle (0 for a manifest imported alone). */
  index: number;
  /** Its serial, when the manifest could be read far enough to tell. */
  serial: string | null;
  reason: string;
}

export type ImportKind = "bundle" | "sealed-bundle" | "manifest";

export interface ImportReport {
  kind: ImportKind;
  /** The station that signed the file. */
  station: string;
  /** The bundle's place in the station's chain; null for a manifest imported alone. */
  seq: number | null;
  bundle_id: string | null;
  /** SHA-256 of the plain bundle (what the station's next bundle names as prev), hex; null for a manifest. */
  digest: string | null;
  /** Devices in the file. */
  count: number;
  /** Devices pre-registered by this import. */
  accepted: number;
  /** The devices refused, with their reasons (the first MAX_LISTED_REJECTIONS of them). */
  rejected: RejectedDevice[];
  /** How many devices were refused in all (rejected lists at most MAX_LISTED_REJECTIONS). */
  rejected_count: number;
  /** Devices already imported from the same station before: left unchanged. */
  duplicates: number;
  /** null for a manifest imported alone. */
  chain: { status: ChainStatus; note: string } | null;
  /** True when this very file (same plain digest, or the same manifest) was imported before: nothing changed. */
  already_imported: boolean;
  /** One line for people. */
  summary: string;
}

/** Rejections listed one by one in a report; beyond this only rejected_count grows. */
export const MAX_LISTED_REJECTIONS = 10_000;

export type ImportErrorCode =
  /** Not a manifest, bundle or sealed bundle; or not well-formed CBOR of DESIGN §5. */
  | "IMPORT_MALFORMED"
  /** Signed by a key that is no trusted station's. */
  | "IMPORT_UNKNOWN_STATION"
  /** Signed by a station that has been retired. */
  | "IMPORT_STATION_RETIRED"
  /** The signature does not verify. */
  | "IMPORT_BAD_SIGNATURE"
  /** The header's `station` is not the name of the station whose key signed it. */
  | "IMPORT_STATION_MISMATCH"
  /** An item does not match its digest, or items are missing or extra: the file was altered. */
  | "IMPORT_TAMPERED"
  /** A sealed bundle the registrar cannot open: no keys, another registrar's key, corrupt. */
  | "IMPORT_SEALED";

/** The whole file is refused: nothing of it is stored. */
export class ImportError extends Error {
  override readonly name = "ImportError";
  constructor(
    readonly code: ImportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The one-line summary of a report. */
export function summarize(r: Omit<ImportReport, "summary">): string {
  const what =
    r.kind === "manifest"
      ? `manifest from station ${r.station}`
      : `${r.kind === "sealed-bundle" ? "sealed bundle" : "bundle"} ${r.bundle_id} (seq ${r.seq}) from station ${r.station}`;
  if (r.already_imported && r.kind !== "manifest") return `${what}: already imported, nothing changed`;
  const parts = [`${r.accepted} of ${r.count} device${r.count === 1 ? "" : "s"} imported`];
  if (r.duplicates > 0) parts.push(`${r.duplicates} already imported, unchanged`);
  if (r.rejected_count > 0) parts.push(`${r.rejected_count} rejected`);
  const chain =
    r.chain && r.chain.status !== "in-order" && r.chain.status !== "first" ? `; ${r.chain.note}` : "";
  return `${what}: ${parts.join(", ")}${chain}`;
}
