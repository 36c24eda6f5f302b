// The checks on one device of an import (DESIGN §4, §6), before it is pre-registered:
// - each EK's `pub` (TPM2B_PUBLIC) is the key `ek_pub_sha256` names, of the manifest's `alg`;
// - each EK certificate certifies that same key and chains to a trusted manufacturer CA
//   (verifyEkCertificate against the registrar's CA store, at the capture time);
// - an EK without a certificate is recorded as such (its key validated by node:crypto).
//
// Chain certificates a manifest carries (NV 0x01C00100…) repeat across a whole bundle. Each
// distinct one is parsed and checked once per import: one that a trusted CA issued (valid at
// the first capture time it is met with) joins this import's copy of the CA store, so later
// EK certificates stop at it without its signature being checked again; one that does not is
// remembered as not trusted and ignored.
import { createHash } from "node:crypto";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { certKeySha256 } from "../../shared/ekcert/ek-pub-hash.js";
import { CaStore } from "../../shared/ekcert/store.js";
import type { Certificate } from "../../shared/ekcert/types.js";
import { verifyEkCertificate, verifyIssuedBy } from "../../shared/ekcert/verify.js";
import type { ManifestPayload } from "../../shared/formats/manifest.js";
import type { DeviceEk } from "../store/devices.js";
import { algOf, ekIdentity } from "./ek-identity.js";

export type DeviceCheck = { ok: true; eks: DeviceEk[] } | { ok: false; reason: string };

const nvText = (nv: number | null): string =>
  nv === null ? "" : ` at NV 0x${nv.toString(16).toUpperCase().padStart(8, "0")}`;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class DeviceChecker {
  readonly #store: CaStore;
  /** Chain certificates met so far, by SHA-256 of their DER: trusted (in #store) or not. */
  readonly #chainCerts = new Map<string, boolean>();

  constructor(base: CaStore) {
    this.#store = new CaStore([], base.origin);
    for (const cert of base.certificates) this.#store.add(cert, base.sourceOf(cert));
  }

  /** Checks every EK of a device; the first problem found is the reason it is refused. */
  check(p: ManifestPayload): DeviceCheck {
    const at = new Date(p.captured_at * 1000);
    const eks: DeviceEk[] = [];
    for (const ek of p.eks) {
      const label = `EK ${ek.template} (${ek.alg})`;
      let sha: string;
      let spki: Uint8Array;
      try {
        const id = ekIdentity(ek.pub, `${label} pub`, ek.cert === null);
        sha = id.sha256;
        spki = id.spki;
        const alg = algOf(id.area);
        if (alg !== ek.alg)
          return { ok: false, reason: `${label}: its pub is a ${alg ?? "unsupported"} key, not ${ek.alg}` };
      } catch (e) {
        return { ok: false, reason: `${label}: ${message(e)}` };
      }
      if (sha !== ek.ek_pub_sha256)
        return {
          ok: false,
          reason: `${label}: its pub hashes to ${sha}, not to the manifest's ek_pub_sha256 ${ek.ek_pub_sha256}`,
        };
      if (ek.cert !== null) {
        const certLabel = `EK certificate${nvText(ek.cert_nv)}`;
        let cert: Certificate;
        try {
          // Views, not a copy: the manifest's bytes stay unchanged while it is checked.
          cert = parseCertificate(ek.cert, { views: true });
        } catch (e) {
          return { ok: false, reason: `${certLabel} could not be read: ${message(e)}` };
        }
        const certKey = certKeySha256(cert, { spki, sha256: sha });
        if (certKey !== sha)
          return {
            ok: false,
            reason: `${certLabel} (serial ${cert.serial}) certifies another key (ek_pub_sha256 ${certKey}), not ${label} (${sha})`,
          };
        if (ek.chain.length > 0) this.#adoptAll(ek.chain, at);
        const r = verifyEkCertificate(cert, { store: this.#store, at, label: certLabel });
        if (!r.ok) return { ok: false, reason: r.reason };
      }
      eks.push({
        ekPubSha256: sha,
        alg: ek.alg,
        template: ek.template,
        ekPub: ek.pub,
        cert: ek.cert,
        certNv: ek.cert_nv,
      });
    }
    return { ok: true, eks };
  }

  /**
   * Adds the chain certificates a trusted CA issued to this import's CA store, in as many
   * passes as the chain has levels (NV order need not be path order).
   */
  #adoptAll(ders: readonly Uint8Array[], at: Date): void {
    const pending: Certificate[] = [];
    for (const der of ders) {
      const key = createHash("sha256").update(der).digest("hex");
      if (this.#chainCerts.has(key)) continue;
      try {
        const cert = parseCertificate(der);
        if (this.#store.has(cert)) this.#chainCerts.set(key, true);
        else pending.push(cert);
      } catch {
        this.#chainCerts.set(key, false);
      }
    }
    for (let progress = true; progress && pending.length > 0; ) {
      progress = false;
      for (let i = pending.length - 1; i >= 0; i--) {
        const cert = pending[i]!;
        if (this.#store.issuersOf(cert).some((issuer) => verifyIssuedBy(cert, issuer, at).ok)) {
          this.#store.add(cert, "an intermediate from a manifest's chain");
          this.#chainCerts.set(createHash("sha256").update(cert.der).digest("hex"), true);
          pending.splice(i, 1);
          progress = true;
        }
      }
    }
    for (const cert of pending)
      this.#chainCerts.set(createHash("sha256").update(cert.der).digest("hex"), false);
  }
}
