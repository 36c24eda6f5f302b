// Finding the EK certificates a TPM carries: one per template at the profile's indices, and
// optional chain certificates at 0x01C00100–0x01C001FF (TCG EK Credential Profile §2.2.1.5).

import { splitDer, unwrapNvCertificate } from "../nv/der-extent.js";
import { listNvIndices, nvReadAll } from "../nv/read.js";
import type { Tpm } from "../tpm.js";
import { EK_TEMPLATES, type EkTemplate } from "./templates.js";

export interface NvEkCert {
  readonly template: EkTemplate;
  readonly nvIndex: number;
  /** The certificate's DER bytes, padding after it removed, otherwise untouched. */
  readonly der: Uint8Array;
  /** The index contents as read, for diagnostics. */
  readonly raw: Uint8Array;
}

export const EK_CHAIN_FIRST = 0x01c00100;
export const EK_CHAIN_LAST = 0x01c001ff;

export interface EkCertificates {
  readonly certs: NvEkCert[];
  /** Chain certificates from the chain indices, in index order. */
  readonly chain: Uint8Array[];
  /** NV indices defined on the TPM (so callers need not list them again). */
  readonly indices: Set<number>;
}

export async function readEkCertificates(
  tpm: Tpm,
  options: { chunkSize?: number } = {},
): Promise<EkCertificates> {
  const indices = await listNvIndices(tpm);
  const certs: NvEkCert[] = [];
  for (const template of Object.values(EK_TEMPLATES)) {
    if (!indices.has(template.certIndex)) continue;
    const raw = await nvReadAll(tpm, template.certIndex, options);
    certs.push({ template, nvIndex: template.certIndex, raw, der: unwrapNvCertificate(raw) });
  }
  const chain: Uint8Array[] = [];
  for (const index of [...indices]
    .filter((i) => i >= EK_CHAIN_FIRST && i <= EK_CHAIN_LAST)
    .sort((a, b) => a - b)) {
    chain.push(...splitDer(await nvReadAll(tpm, index, options)));
  }
  return { certs, chain, indices };
}
