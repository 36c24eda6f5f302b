// The checks on one EK certificate read from NV (DESIGN §3, §4): it parses, it is the
// certificate of the EK this TPM makes from the index's template, and it chains to the
// station's CA store (with the NV chain as untrusted intermediates).
import {
  type CaStore,
  type Certificate,
  ekPubSha256,
  parseCertificate,
  verifyEkCertificate,
} from "../../shared/ekcert/index.js";
import { CaptureError, messageOf } from "./errors.js";

/** Parses DER read from NV; CAPTURE_CERT_MALFORMED when it is not a certificate. */
export function parseNvCertificate(der: Uint8Array, where: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    throw new CaptureError(
      "CAPTURE_CERT_MALFORMED",
      `${where} is not a readable certificate (${messageOf(e)}); the TPM's NV was written wrongly, set the board aside`,
      { cause: e },
    );
  }
}

/** CAPTURE_CERT_KEY_MISMATCH unless the certificate's key hashes to `ekHash`. */
export function checkCertificateKey(cert: Certificate, ekHash: string, where: string, ekWhat: string): void {
  const certHash = ekPubSha256(cert);
  if (certHash !== ekHash) {
    throw new CaptureError(
      "CAPTURE_CERT_KEY_MISMATCH",
      `${where} belongs to a different key than this TPM's ${ekWhat} (certificate key ${certHash.slice(0, 16)}…, TPM key ${ekHash.slice(0, 16)}…): the certificate was written for another TPM; set the board aside`,
    );
  }
}

export interface ChainOptions {
  store: CaStore;
  intermediates: readonly Certificate[];
  at?: Date;
}

/** CAPTURE_CERT_UNTRUSTED, carrying the verifier's reason, unless the cert chains to the store. */
export function checkCertificateChain(cert: Certificate, where: string, options: ChainOptions): void {
  const result = verifyEkCertificate(cert, {
    store: options.store,
    intermediates: options.intermediates,
    at: options.at,
    label: where,
  });
  if (!result.ok) {
    throw new CaptureError(
      "CAPTURE_CERT_UNTRUSTED",
      `${where} is not trusted by this station (${result.code}): ${result.reason}. Check that --ca-dir (${options.store.describe()}) holds this TPM maker's CA; otherwise set the board aside`,
    );
  }
}
