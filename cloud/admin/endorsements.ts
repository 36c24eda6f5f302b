// Single EK pre-registration in the shape of Intel SecL's tpm-endorsements API:
// {certificate, issuer, hardware_uuid, comment, revoked}. The certificate (PEM or base64 DER)
// must chain to a trusted manufacturer CA; the device is pre-registered by its EK hash with
// that certificate, as a station's manifest would have done (source "endorsement", no
// station). `issuer`, when given, must equal the certificate's issuer name.

import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { ekPubSha256 } from "../../shared/ekcert/ek-pub-hash.js";
import { readCertificateInput } from "../../shared/ekcert/input.js";
import { verifyEkCertificate } from "../../shared/ekcert/verify.js";
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { type Device, deviceByEk, getDevice, insertDevice, revokeDevice } from "../store/devices.js";

export interface Endorsement {
  certificate: Uint8Array;
  issuer?: string;
  hardwareUuid?: string;
  comment?: string;
  revoked?: boolean;
}

export class EndorsementError extends Error {
  override readonly name = "EndorsementError";
  constructor(
    readonly code:
      | "ENDORSEMENT_CERT_INVALID"
      | "ENDORSEMENT_CERT_UNTRUSTED"
      | "ENDORSEMENT_ISSUER"
      | "ENDORSEMENT_EXISTS",
    message: string,
  ) {
    super(message);
  }
}

export async function preRegisterEndorsement(
  registrar: Registrar,
  e: Endorsement,
  actor: string,
): Promise<Device> {
  let ders: Uint8Array[];
  try {
    ders = readCertificateInput(e.certificate);
  } catch (err) {
    throw new EndorsementError(
      "ENDORSEMENT_CERT_INVALID",
      `the certificate could not be read: ${(err as Error).message}`,
    );
  }
  if (ders.length === 0)
    throw new EndorsementError("ENDORSEMENT_CERT_INVALID", "no certificate found in the certificate field");
  const cert = parseCertificate(ders[0]!);
  if (e.issuer !== undefined && e.issuer !== cert.issuer.text)
    throw new EndorsementError(
      "ENDORSEMENT_ISSUER",
      `issuer "${e.issuer}" is not the certificate's issuer "${cert.issuer.text}"`,
    );
  const verdict = verifyEkCertificate(ders[0]!, {
    store: await registrar.caStore(),
    intermediates: ders.slice(1).map((der) => parseCertificate(der)),
    at: new Date(registrar.clock()),
  });
  if (!verdict.ok) throw new EndorsementError("ENDORSEMENT_CERT_UNTRUSTED", verdict.reason);
  const hash = ekPubSha256(cert);
  return registrar.db.write(async (tx) => {
    const existing = await deviceByEk(tx, hash);
    if (existing)
      throw new EndorsementError(
        "ENDORSEMENT_EXISTS",
        `this EK (ek_pub_sha256 ${hash}) is already pre-registered as device ${existing.id} (${existing.serial})`,
      );
    const id = await insertDevice(
      tx,
      {
        serial: e.hardwareUuid ?? `ek-${hash.slice(0, 16)}`,
        hwUuid: e.hardwareUuid ?? null,
        model: null,
        source: "endorsement",
        station: null,
        capturedAt: null,
        tpm: { manufacturer: null, vendor: null, fw: null },
        manifest: null,
        comment: e.comment ?? null,
        eks: [
          {
            ekPubSha256: hash,
            alg: cert.keyType === "rsa" ? `rsa${cert.keyBits}` : `ecc-${(cert.curve ?? "").toLowerCase()}`,
            template: null,
            ekPub: null,
            cert: cert.der,
            certNv: null,
          },
        ],
      },
      registrar.clock(),
    );
    if (e.revoked) await revokeDevice(tx, id, "revoked in its tpm-endorsements entry", registrar.clock());
    await appendAudit(
      tx,
      { actor, action: "device.endorse", subject: hash, detail: { id, revoked: e.revoked ?? false } },
      registrar.clock(),
    );
    return (await getDevice(tx, id))!;
  });
}
