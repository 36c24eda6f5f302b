// The admission policy (DESIGN §6), stricter than keylime on purpose. A registration names an
// EK (ek_tpm, identified by ek_pub_sha256 = SHA-256 of its SubjectPublicKeyInfo), an AK
// (aik_tpm) and usually the EK certificate. It is admitted when:
// - both public areas are well formed, the EK is a storage key and the AK a genuine
//   restricted signing key (fixedTPM, fixedParent, sensitiveDataOrigin, not decrypt) — else 400;
// - the EK was pre-registered from a trusted station's manifest (requirePreRegistration) and
//   its device is not revoked; ek_tpm and ekcert are the ones the manifest recorded;
// - the EK certificate (sent, or from the manifest) holds the same key as ek_tpm and chains to
//   a manufacturer CA (requireEkCert); a pre-registration by hash alone is admitted without a
//   certificate only in the allow-list mode (allowHashOnly).
// With requirePreRegistration and requireEkCert off the registrar checks what keylime does:
// any TPM that completes credential activation is admitted. A revoked device is refused always.
import { hash } from "node:crypto";
import { equalBytes } from "../../shared/bytes/equal-bytes.js";
import {
  type Certificate,
  certKeySha256,
  parseCertificate,
  readCertificateInput,
  verifyEkCertificate,
} from "../../shared/ekcert/index.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import {
  akPublicViolations,
  ekPublicViolations,
  objectName,
  parsePublicArea,
  publicAreaToSpki,
} from "../../shared/tpm/verifier/index.js";
import type { Registrar } from "../registrar/registrar.js";
import type { Device, DeviceEk } from "../store/devices.js";
import { checkAgentId } from "./agent-id.js";
import { invalid, refused } from "./errors.js";

/** A registration as the agent sends it (keylime POST body, or an offline request file). */
export interface RegistrationRequest {
  agentId: string;
  /** TPM2B_PUBLIC of the EK. */
  ekTpm: Uint8Array;
  /** The EK certificate, DER or PEM; null when the TPM has none (or the agent sent none). */
  ekcert: Uint8Array | null;
  /** TPM2B_PUBLIC of the AK. */
  aikTpm: Uint8Array;
  mtlsCert?: string | null;
  ip?: string | null;
  port?: number | null;
}

/** A request whose structures decoded and whose keys passed the attribute checks. */
export interface ParsedRegistration {
  request: RegistrationRequest;
  ekPublic: TpmtPublic;
  akPublic: TpmtPublic;
  akName: Uint8Array;
  /** Lowercase hex SHA-256 of the EK's SubjectPublicKeyInfo (DESIGN §4). */
  ekPubSha256: string;
  /** That SubjectPublicKeyInfo, DER as OpenSSL writes it (the canonical form). */
  ekSpki: Uint8Array;
  /** The leaf of `ekcert`, when sent. */
  ekCert: Certificate | null;
  /** Further certificates sent after the leaf (PEM bundles), as path candidates. */
  intermediates: Certificate[];
}

/** What the policy decided for an admitted registration. */
export interface Admission {
  /** The pre-registered device, or null when admitted without one. */
  deviceId: number | null;
  /** The EK certificate to record with the agent (sent, or the manifest's). */
  ekCertDer: Uint8Array | null;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const short = (hex: string) => `${hex.slice(0, 16)}…`;

/**
 * Whether the import that pre-registered `device` verified this very certificate's chain at the
 * time point the check below would use (the capture time) against the same manufacturer-CA set
 * (an unchanged generation: every CA added or retired bumps it). The verdict could not differ,
 * so the signature checks are not repeated for every registration of an imported fleet.
 */
function verifiedAtImport(
  device: Device | undefined,
  ekRow: DeviceEk | undefined,
  cert: Certificate,
  generation: number,
): boolean {
  return (
    device !== undefined &&
    Boolean(device.capturedAt) &&
    device.certsCaGeneration === generation &&
    ekRow?.cert != null &&
    equalBytes(ekRow.cert, cert.der)
  );
}

/** Decodes and checks the request's own content (no database, no CA store). Throws RegistrationError (400). */
export function parseRegistration(request: RegistrationRequest): ParsedRegistration {
  const agentId = checkAgentId(request.agentId);

  let ekPublic: TpmtPublic;
  let ekSpki: Uint8Array;
  try {
    ekPublic = parsePublicArea(request.ekTpm, `ek_tpm of agent ${agentId}`);
    // Written in canonical form from the key's numbers, after node:crypto accepted the key:
    // hashed as it is, like an import's EK (cloud/import/ek-identity.ts).
    ekSpki = publicAreaToSpki(ekPublic);
  } catch (e) {
    throw invalid("EK_TPM_MALFORMED", `ek_tpm is not a usable TPM2B_PUBLIC: ${messageOf(e)}`, { cause: e });
  }
  const ekProblems = ekPublicViolations(ekPublic);
  if (ekProblems.length > 0)
    throw invalid(
      "EK_NOT_STORAGE_KEY",
      `ek_tpm is not an endorsement key a credential can be encrypted to: ${ekProblems.join("; ")}`,
    );

  let akPublic: TpmtPublic;
  try {
    akPublic = parsePublicArea(request.aikTpm, `aik_tpm of agent ${agentId}`);
  } catch (e) {
    throw invalid("AK_TPM_MALFORMED", `aik_tpm is not a valid TPM2B_PUBLIC: ${messageOf(e)}`, { cause: e });
  }
  const akProblems = akPublicViolations(akPublic);
  if (akProblems.length > 0)
    throw invalid(
      "AK_ATTRIBUTES_INVALID",
      `aik_tpm is not a genuine attestation key (${akProblems.length} problem(s)): ${akProblems.join("; ")}`,
    );

  let ekCert: Certificate | null = null;
  const intermediates: Certificate[] = [];
  if (request.ekcert !== null) {
    try {
      const ders = readCertificateInput(request.ekcert);
      // Views of the decoded request bytes, which nothing changes: no private copy each.
      ekCert = parseCertificate(ders[0] as Uint8Array, { views: true });
      for (const der of ders.slice(1)) intermediates.push(parseCertificate(der, { views: true }));
    } catch (e) {
      throw invalid("EK_CERT_MALFORMED", `ekcert could not be read: ${messageOf(e)}`, { cause: e });
    }
  }

  return {
    request: { ...request, agentId },
    ekPublic,
    akPublic,
    akName: objectName(akPublic),
    ekPubSha256: hash("sha256", ekSpki, "hex"),
    ekSpki,
    ekCert,
    intermediates,
  };
}

/**
 * Applies the policy to a parsed request and the device its EK belongs to (deviceByEk; undefined
 * when unknown). Throws RegistrationError ("refused") with the reason; returns the admission.
 */
export async function checkAdmission(
  registrar: Registrar,
  parsed: ParsedRegistration,
  device: Device | undefined,
): Promise<Admission> {
  const config = registrar.config;
  const ek = parsed.ekPubSha256;
  let ekRow: DeviceEk | undefined;

  if (device === undefined) {
    if (config.requirePreRegistration)
      throw refused(
        "NOT_PRE_REGISTERED",
        `not pre-registered: no device with EK ek_pub_sha256 ${ek} was imported from a trusted station's manifest; import the bundle that holds it (or pre-register it with POST /api/v1/tpm-endorsements) before the agent registers`,
      );
  } else {
    const who = `device ${device.serial} (id ${device.id})`;
    if (device.state === "revoked")
      throw refused(
        "DEVICE_REVOKED",
        `${who} is revoked${device.revokedReason ? ` (${device.revokedReason})` : ""}: its TPM may not register; restore it with 'registrar devices restore' if the revocation was a mistake`,
      );
    ekRow = device.eks.find((e) => e.ekPubSha256 === ek);
    if (ekRow?.ekPub && !equalBytes(ekRow.ekPub, parsed.request.ekTpm))
      throw refused(
        "EK_TPM_MISMATCH",
        `ek_tpm differs from the EK public area recorded for ${who} (EK ${short(ek)}): same key, but other attributes, policy or parameters than the TPM had at capture`,
      );
    if (ekRow?.cert && parsed.ekCert && !equalBytes(ekRow.cert, parsed.ekCert.der))
      throw refused(
        "EK_CERT_MISMATCH",
        `ekcert (serial ${parsed.ekCert.serial}) differs from the EK certificate recorded for ${who} at capture (EK ${short(ek)})`,
      );
  }

  let cert = parsed.ekCert;
  if (cert === null && ekRow?.cert) {
    try {
      cert = parseCertificate(ekRow.cert);
    } catch (e) {
      throw refused(
        "EK_CERT_MALFORMED",
        `the EK certificate recorded for EK ${short(ek)} at capture cannot be read (${messageOf(e)}); send the TPM's ekcert, or re-import the device`,
      );
    }
  }
  const certKey = cert === null ? ek : certKeySha256(cert, { spki: parsed.ekSpki, sha256: ek });
  if (cert !== null && certKey !== ek)
    throw refused(
      "EK_CERT_KEY_MISMATCH",
      `the EK certificate (serial ${cert.serial}) certifies another key (ek_pub_sha256 ${certKey}) than ek_tpm (${ek}): the certificate is not this TPM's`,
    );

  if (config.requireEkCert) {
    if (cert === null) {
      const hashOnly = ekRow !== undefined && ekRow.cert === null;
      if (!hashOnly)
        throw refused(
          "EK_CERT_MISSING",
          `no EK certificate: the agent sent none and none was recorded for EK ${short(ek)}; this registrar requires one (requireEkCert)`,
        );
      if (!config.allowHashOnly)
        throw refused(
          "HASH_ONLY_NOT_ALLOWED",
          `EK ${short(ek)} was pre-registered by its ek_pub_sha256 alone (no EK certificate), and the allow-list mode for TPMs without an EK certificate (allowHashOnly) is off`,
        );
    } else {
      const trust = await registrar.caTrust();
      if (!verifiedAtImport(device, ekRow, cert, trust.generation)) {
        const at = device?.capturedAt ? new Date(device.capturedAt * 1000) : new Date(registrar.clock());
        const result = verifyEkCertificate(cert, {
          store: trust.store,
          intermediates: parsed.intermediates,
          at,
        });
        if (!result.ok) throw refused(result.code, result.reason);
      }
    }
  }

  return { deviceId: device?.id ?? null, ekCertDer: cert?.der ?? null };
}
