// Device administration shared by the admin API and the CLI: finding a device by what an
// operator knows about it, revoking and restoring it, and a compromised station's devices.
// Every change is audited in the same transaction.
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import {
  type Device,
  DeviceNotFoundError,
  deviceByEk,
  findDevices,
  getDevice,
  restoreDevice,
  revokeDevice,
} from "../store/devices.js";

/**
 * A device by its id ("42"), its EK's ek_pub_sha256 (64 hex digits) or its serial (when only
 * one device has it).
 */
export async function resolveDevice(registrar: Registrar, ref: string): Promise<Device> {
  const db = registrar.db;
  if (/^\d{1,15}$/.test(ref)) {
    const d = await getDevice(db, Number(ref));
    if (d) return d;
  }
  if (/^[0-9a-fA-F]{64}$/.test(ref)) {
    const d = await deviceByEk(db, ref.toLowerCase());
    if (d) return d;
  }
  const bySerial = await findDevices(db, { serial: ref, limit: 2 });
  if (bySerial.length > 1)
    throw new DeviceNotFoundError(
      `more than one device has serial "${ref}": use its id (devices list --serial)`,
    );
  if (bySerial[0]) return (await getDevice(db, bySerial[0].id))!;
  throw new DeviceNotFoundError(`no device with id, EK hash or serial "${ref}"`);
}

export async function revokeDeviceAudited(
  registrar: Registrar,
  device: Device,
  reason: string,
  actor: string,
): Promise<void> {
  await registrar.db.write(async (tx) => {
    await revokeDevice(tx, device.id, reason, registrar.clock());
    await appendAudit(
      tx,
      { actor, action: "device.revoke", subject: device.serial, detail: { id: device.id, reason } },
      registrar.clock(),
    );
  });
}

export async function restoreDeviceAudited(
  registrar: Registrar,
  device: Device,
  actor: string,
): Promise<string> {
  return registrar.db.write(async (tx) => {
    const state = await restoreDevice(tx, device.id, registrar.clock());
    await appendAudit(
      tx,
      { actor, action: "device.restore", subject: device.serial, detail: { id: device.id, state } },
      registrar.clock(),
    );
    return state;
  });
}

/**
 * Revokes every not-yet-revoked device a station captured at or after `since` (epoch
 * seconds): what to do about a compromised station. One transaction, one audit entry.
 */
export async function revokeStationDevices(
  registrar: Registrar,
  station: string,
  since: number,
  reason: string,
  actor: string,
): Promise<number> {
  return registrar.db.write(
    async (tx) => {
      const rows = await tx.all<{ id: number }>(
        "SELECT id FROM devices WHERE station = ? AND captured_at >= ? AND state != 'revoked' ORDER BY id",
        [station, since],
      );
      for (const { id } of rows) await revokeDevice(tx, id, reason, registrar.clock());
      await appendAudit(
        tx,
        {
          actor,
          action: "station.revoke-devices",
          subject: station,
          detail: { since, reason, revoked: rows.length },
        },
        registrar.clock(),
      );
      return rows.length;
    },
    { alone: true },
  );
}

/** What the API and `devices show --json` print about a device (binary values in hex/base64). */
export function deviceJson(d: Device, options: { withCerts?: boolean } = {}): Record<string, unknown> {
  return {
    id: d.id,
    serial: d.serial,
    hw_uuid: d.hwUuid,
    model: d.model,
    state: d.state,
    source: d.source,
    station: d.station,
    captured_at: d.capturedAt,
    tpm: d.tpm,
    comment: d.comment,
    revoked_reason: d.revokedReason,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    bundle: d.bundleDigest === null ? null : Buffer.from(d.bundleDigest).toString("hex"),
    eks: d.eks.map((ek) => ({
      ek_pub_sha256: ek.ekPubSha256,
      alg: ek.alg,
      template: ek.template,
      cert_nv: ek.certNv,
      has_cert: ek.cert !== null,
      ...(options.withCerts
        ? {
            cert: ek.cert === null ? null : Buffer.from(ek.cert).toString("base64"),
            pub: ek.ekPub === null ? null : Buffer.from(ek.ekPub).toString("base64"),
          }
        : {}),
    })),
  };
}
