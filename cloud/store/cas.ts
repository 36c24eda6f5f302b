// Manufacturer CA certificates (DESIGN §6): the database is the source of truth; `serve
// --ca-dir` and `cas import DIR` load files into it, the admin API adds and retires entries.
// EK certificates must chain to an active (not retired) one.
import { createHash } from "node:crypto";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { CaStore } from "../../shared/ekcert/store.js";
import type { Certificate } from "../../shared/ekcert/types.js";
import type { SqlReader, SqlRunner } from "./sql.js";

export interface ManufacturerCa {
  /** SHA-256 of the DER, lowercase hex: the CA's id in the API and the CLI. */
  id: string;
  subject: string;
  source: string | null;
  addedAt: number;
  retiredAt: number | null;
  der: Uint8Array;
}

interface CaRow {
  sha256: Uint8Array;
  der: Uint8Array;
  subject: string;
  source: string | null;
  added_at: number;
  retired_at: number | null;
}

const toCa = (r: CaRow): ManufacturerCa => ({
  id: Buffer.from(r.sha256).toString("hex"),
  subject: r.subject,
  source: r.source,
  addedAt: r.added_at,
  retiredAt: r.retired_at,
  der: new Uint8Array(r.der),
});

export class CaNotFoundError extends Error {
  override readonly name = "CaNotFoundError";
  readonly code = "CA_NOT_FOUND";
}

/** The setting bumped on every change, so a running server sees CLI changes (ca-cache.ts). */
export const CA_GENERATION_KEY = "cas.generation";

async function bumpGeneration(tx: SqlRunner): Promise<void> {
  await tx.run(
    "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    [CA_GENERATION_KEY],
  );
}

export async function caGeneration(db: SqlReader): Promise<number> {
  const r = await db.get<{ value: string }>("SELECT value FROM settings WHERE key = ?", [CA_GENERATION_KEY]);
  return r === undefined ? 0 : Number(r.value);
}

/**
 * Adds a CA certificate (parsed first: anything that is not a certificate is refused by the
 * parser). Returns false when the same DER is already there; a retired one is reactivated.
 */
export async function addCa(
  tx: SqlRunner,
  cert: Certificate,
  source: string | null,
  now = Date.now(),
): Promise<{ ca: ManufacturerCa; added: boolean }> {
  const sha = new Uint8Array(createHash("sha256").update(cert.der).digest());
  const existing = await tx.get<CaRow>("SELECT * FROM cas WHERE sha256 = ?", [sha]);
  if (existing && existing.retired_at === null) return { ca: toCa(existing), added: false };
  if (existing) await tx.run("UPDATE cas SET retired_at = NULL WHERE sha256 = ?", [sha]);
  else
    await tx.run("INSERT INTO cas (sha256, der, subject, source, added_at) VALUES (?, ?, ?, ?, ?)", [
      sha,
      cert.der,
      cert.subject.text,
      source,
      Math.floor(now / 1000),
    ]);
  await bumpGeneration(tx);
  return { ca: toCa((await tx.get<CaRow>("SELECT * FROM cas WHERE sha256 = ?", [sha]))!), added: true };
}

export async function listCas(db: SqlReader, includeRetired = false): Promise<ManufacturerCa[]> {
  const where = includeRetired ? "" : "WHERE retired_at IS NULL";
  return (await db.all<CaRow>(`SELECT * FROM cas ${where} ORDER BY subject, added_at`)).map(toCa);
}

/** Retires a CA by id (the hex SHA-256, or a unique prefix of at least 8 characters). */
export async function retireCa(tx: SqlRunner, idOrPrefix: string, now = Date.now()): Promise<ManufacturerCa> {
  const prefix = idOrPrefix.toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(prefix))
    throw new CaNotFoundError(
      `"${idOrPrefix}" is not a CA id (the hex SHA-256 shown by 'cas list', at least 8 characters)`,
    );
  const rows = (await tx.all<CaRow>("SELECT * FROM cas WHERE retired_at IS NULL")).filter((r) =>
    Buffer.from(r.sha256).toString("hex").startsWith(prefix),
  );
  if (rows.length === 0) throw new CaNotFoundError(`no active CA with id ${idOrPrefix}`);
  if (rows.length > 1)
    throw new CaNotFoundError(`${rows.length} CAs have ids starting ${idOrPrefix}: give more of it`);
  const row = rows[0]!;
  await tx.run("UPDATE cas SET retired_at = ? WHERE sha256 = ?", [Math.floor(now / 1000), row.sha256]);
  await bumpGeneration(tx);
  return toCa({ ...row, retired_at: Math.floor(now / 1000) });
}

/** The active CAs as a CaStore for verifyEkCertificate. */
export async function loadCaStore(db: SqlReader): Promise<CaStore> {
  const store = new CaStore([], "the registrar database");
  for (const ca of await listCas(db)) store.add(parseCertificate(ca.der), `ca ${ca.id.slice(0, 16)}`);
  return store;
}
