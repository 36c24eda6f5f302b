// Manufacturer CA administration shared by the admin API and the CLI, audited.
import { loadCaDir } from "../../shared/ekcert/store.js";
import type { Certificate } from "../../shared/ekcert/types.js";
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { addCa, type ManufacturerCa, retireCa } from "../store/cas.js";

export interface CaImportResult {
  added: ManufacturerCa[];
  /** Already trusted (same DER). */
  unchanged: number;
  /** Files that could not be read, with why. */
  skipped: { file: string; reason: string }[];
}

/** Adds certificates (already parsed) in one transaction. */
export async function addCas(
  registrar: Registrar,
  certs: readonly { cert: Certificate; source: string | null }[],
  actor: string,
): Promise<{ added: ManufacturerCa[]; unchanged: number }> {
  return registrar.db.write(async (tx) => {
    const added: ManufacturerCa[] = [];
    let unchanged = 0;
    for (const { cert, source } of certs) {
      const r = await addCa(tx, cert, source, registrar.clock());
      if (r.added) added.push(r.ca);
      else unchanged++;
    }
    if (added.length > 0)
      await appendAudit(
        tx,
        { actor, action: "ca.add", detail: { added: added.map((c) => ({ id: c.id, subject: c.subject })) } },
        registrar.clock(),
      );
    return { added, unchanged };
  });
}

/** `cas import DIR` and `serve --ca-dir DIR`: every certificate file of DIR. */
export async function importCaDir(registrar: Registrar, dir: string, actor: string): Promise<CaImportResult> {
  const { store, skipped } = await loadCaDir(dir);
  const r = await addCas(
    registrar,
    store.certificates.map((cert) => ({ cert, source: store.sourceOf(cert) ?? dir })),
    actor,
  );
  return { ...r, skipped };
}

export async function retireCaAudited(
  registrar: Registrar,
  id: string,
  actor: string,
): Promise<ManufacturerCa> {
  return registrar.db.write(async (tx) => {
    const ca = await retireCa(tx, id, registrar.clock());
    await appendAudit(
      tx,
      { actor, action: "ca.retire", subject: ca.subject, detail: { id: ca.id } },
      registrar.clock(),
    );
    return ca;
  });
}

export function caJson(ca: ManufacturerCa, withDer = false): Record<string, unknown> {
  return {
    id: ca.id,
    subject: ca.subject,
    source: ca.source,
    added_at: ca.addedAt,
    retired_at: ca.retiredAt,
    ...(withDer ? { der: Buffer.from(ca.der).toString("base64") } : {}),
  };
}
