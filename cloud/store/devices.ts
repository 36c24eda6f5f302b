// Devices (boards) and their EKs (DESIGN §6). A device is pre-registered from a station's
// manifest (or a tpm-endorsements request), then registered and activated by its agent;
// revoked at any point. Every state change adds a device event in the same transaction.
import type { SqlReader, SqlRunner, SqlValue } from "./sql.js";

export const DEVICE_STATES = ["pre-registered", "registered", "active", "revoked"] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];
export type DeviceSource = "bundle" | "manifest" | "endorsement";

export interface DeviceEk {
  /** SHA-256 of the EK's SubjectPublicKeyInfo, lowercase hex (DESIGN §4). */
  ekPubSha256: string;
  alg: string | null;
  template: string | null;
  /** TPM2B_PUBLIC; null when pre-registered by its hash alone. */
  ekPub: Uint8Array | null;
  /** DER EK certificate; null for a TPM without one. */
  cert: Uint8Array | null;
  certNv: number | null;
}

export interface NewDevice {
  serial: string;
  hwUuid: string | null;
  model: string | null;
  source: DeviceSource;
  station: string | null;
  capturedAt: number | null;
  tpm: { manufacturer: string | null; vendor: string | null; fw: string | null };
  /** The signed manifest, kept as evidence. */
  manifest: Uint8Array | null;
  comment: string | null;
  state?: DeviceState;
  /**
   * The manufacturer-CA generation under which every EK certificate of `eks` was verified to
   * chain to a trusted CA at `capturedAt` (an import's checks); null or absent when not.
   */
  certsCaGeneration?: number | null;
  eks: DeviceEk[];
}

export interface Device extends Omit<NewDevice, "state" | "certsCaGeneration"> {
  id: number;
  /** The digest of the bundle the device was imported from (the bundle's range holds its id). */
  bundleDigest: Uint8Array | null;
  state: DeviceState;
  certsCaGeneration: number | null;
  stateBeforeRevoke: DeviceState | null;
  revokedReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeviceEvent {
  at: number;
  event: string;
  detail: Record<string, unknown> | null;
}

interface DeviceRow {
  id: number;
  serial: string;
  hw_uuid: string | null;
  model: string | null;
  source: DeviceSource;
  station: string | null;
  bundle_digest: Uint8Array | null;
  captured_at: number | null;
  tpm_manufacturer: string | null;
  tpm_vendor: string | null;
  tpm_fw: string | null;
  manifest: Uint8Array | null;
  comment: string | null;
  state: DeviceState;
  state_before_revoke: DeviceState | null;
  revoked_reason: string | null;
  certs_ca_generation: number | null;
  created_at: number;
  updated_at: number;
}

interface EkRow {
  ek_pub_sha256: Uint8Array;
  device_id: number;
  alg: string | null;
  template: string | null;
  ek_pub: Uint8Array | null;
  cert: Uint8Array | null;
  cert_nv: number | null;
}

const bytes = (b: Uint8Array | null): Uint8Array | null => (b === null ? null : new Uint8Array(b));
const seconds = (ms: number): number => Math.floor(ms / 1000);

function toEk(r: EkRow): DeviceEk {
  return {
    ekPubSha256: Buffer.from(r.ek_pub_sha256).toString("hex"),
    alg: r.alg,
    template: r.template,
    ekPub: bytes(r.ek_pub),
    cert: bytes(r.cert),
    certNv: r.cert_nv,
  };
}

function toDevice(r: DeviceRow, eks: DeviceEk[]): Device {
  return {
    id: r.id,
    serial: r.serial,
    hwUuid: r.hw_uuid,
    model: r.model,
    source: r.source,
    station: r.station,
    bundleDigest: bytes(r.bundle_digest),
    capturedAt: r.captured_at,
    tpm: { manufacturer: r.tpm_manufacturer, vendor: r.tpm_vendor, fw: r.tpm_fw },
    manifest: bytes(r.manifest),
    comment: r.comment,
    state: r.state,
    stateBeforeRevoke: r.state_before_revoke,
    revokedReason: r.revoked_reason,
    certsCaGeneration: r.certs_ca_generation,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    eks,
  };
}

export class DeviceNotFoundError extends Error {
  override readonly name = "DeviceNotFoundError";
  readonly code = "DEVICE_NOT_FOUND";
}

export class DeviceStateError extends Error {
  override readonly name = "DeviceStateError";
  readonly code = "DEVICE_STATE";
}

/** Inserts a device with its EKs and a "pre-registered" (or `state`) event. Returns its id. */
export async function insertDevice(tx: SqlRunner, d: NewDevice, now = Date.now()): Promise<number> {
  const [id] = await insertDevicesBulk(tx, [d], now);
  return id!;
}

export async function addDeviceEvent(
  tx: SqlRunner,
  deviceId: number,
  event: string,
  detail: Record<string, unknown> | null,
  now = Date.now(),
): Promise<void> {
  // Set-based (SqlRunner.batch): the registrations of one group commit share it.
  await tx.batch(
    `INSERT INTO device_events (device_id, at, event, detail)
     SELECT r ->> 'device', r ->> 'at', r ->> 'event', r ->> 'detail' FROM (SELECT value AS r FROM json_each(?1))`,
    { device: deviceId, at: seconds(now), event, detail: detail === null ? null : JSON.stringify(detail) },
  );
}

/**
 * An EK's public area and certificate: in its row, or (an import's EKs, migration 4) the run of
 * its device's manifest that the row's offset and length name. `e` is device_eks, `d` devices.
 */
const EK_PUB = "coalesce(e.ek_pub, substr(d.manifest, e.pub_at, e.pub_len))";
const EK_CERT = "coalesce(e.cert, substr(d.manifest, e.cert_at, e.cert_len))";

export async function deviceEks(db: SqlReader, deviceId: number): Promise<DeviceEk[]> {
  const rows = await db.all<EkRow>(
    `SELECT e.ek_pub_sha256, e.device_id, e.alg, e.template, ${EK_PUB} AS ek_pub, ${EK_CERT} AS cert, e.cert_nv
       FROM device_eks e JOIN devices d ON d.id = e.device_id WHERE e.device_id = ? ORDER BY e.rowid`,
    [deviceId],
  );
  return rows.map(toEk);
}

/** A device row joined with one of its EKs (columns prefixed ek_), one row per EK. */
type DeviceEkRow = DeviceRow & {
  ek_hash: Uint8Array | null;
  ek_alg: string | null;
  ek_template: string | null;
  ek_pub: Uint8Array | null;
  ek_cert: Uint8Array | null;
  ek_cert_nv: number | null;
};

/**
 * The digest of the bundle device `d` came from: the one whose device range holds its id
 * (migration 3). Ranges do not overlap, so the nearest range starting at or below the id is the
 * only candidate.
 */
const BUNDLE_OF_DEVICE = `(SELECT iif(b.last_device >= d.id, b.digest, NULL) FROM bundles b
  WHERE b.first_device <= d.id ORDER BY b.first_device DESC LIMIT 1)`;

/**
 * A device's columns as DeviceRow names them. `manifest: false` leaves out the signed evidence
 * (a few KB that listings and the admission policy do not read).
 */
const deviceColumns = (manifest: boolean) => `d.id, d.serial, d.hw_uuid, d.model, d.source, d.station,
  ${BUNDLE_OF_DEVICE} AS bundle_digest, d.captured_at, d.tpm_manufacturer, d.tpm_vendor, d.tpm_fw,
  ${manifest ? "d.manifest" : "NULL AS manifest"}, d.comment, d.state, d.state_before_revoke, d.revoked_reason,
  d.certs_ca_generation, d.created_at, d.updated_at`;
const DEVICE_WITHOUT_MANIFEST = deviceColumns(false);
const EK_COLUMNS = `e.ek_pub_sha256 AS ek_hash, e.alg AS ek_alg, e.template AS ek_template, ${EK_PUB} AS ek_pub,
  ${EK_CERT} AS ek_cert, e.cert_nv AS ek_cert_nv`;
const DEVICE_WITH_EKS = `${deviceColumns(true)}, ${EK_COLUMNS}`;

/** One query for a device and all its EKs: every query is a trip to sqlite's thread. */
async function deviceWithEks(db: SqlReader, where: string, param: SqlValue): Promise<Device | undefined> {
  const rows = await db.all<DeviceEkRow>(
    `SELECT ${DEVICE_WITH_EKS} FROM devices d LEFT JOIN device_eks e ON e.device_id = d.id
      WHERE ${where} ORDER BY e.rowid`,
    [param],
  );
  return assembleDevice(rows);
}

function assembleDevice(rows: DeviceEkRow[]): Device | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const eks = rows
    .filter((r) => r.ek_hash !== null)
    .map((r) =>
      toEk({
        ek_pub_sha256: r.ek_hash!,
        device_id: r.id,
        alg: r.ek_alg,
        template: r.ek_template,
        ek_pub: r.ek_pub,
        cert: r.ek_cert,
        cert_nv: r.ek_cert_nv,
      }),
    );
  return toDevice(first, eks);
}

export async function getDevice(db: SqlReader, id: number): Promise<Device | undefined> {
  return deviceWithEks(db, "d.id = ?", id);
}

/**
 * The device one EK belongs to, by the EK's hex `ek_pub_sha256`. With `manifest: false` its
 * `manifest` (the signed evidence, a few KB the admission policy does not read) is left null.
 */
export async function deviceByEk(
  db: SqlReader,
  ekPubSha256: string,
  options: { manifest?: boolean } = {},
): Promise<Device | undefined> {
  // Set-based (SqlRunner.batch): the registrations arriving together share one query.
  const columns = options.manifest === false ? `${DEVICE_WITHOUT_MANIFEST}, ${EK_COLUMNS}` : DEVICE_WITH_EKS;
  const rows = await db.batch<DeviceEkRow>(
    `SELECT j.value ->> '_i' AS _i, ${columns} FROM json_each(?1) j
       JOIN device_eks k ON k.ek_pub_sha256 = unhex(j.value ->> 'ek')
       JOIN devices d ON d.id = k.device_id
       LEFT JOIN device_eks e ON e.device_id = d.id
      ORDER BY e.rowid`,
    { ek: ekPubSha256 },
  );
  return assembleDevice(rows);
}

/**
 * The devices that own any of these EKs (hex), with their station: how an import finds a TPM
 * captured before, by the same station or another one.
 *
 * The hashes go in as one JSON text rather than one bound blob each: node-sqlite3 converts and
 * copies every bound value on the main thread, and at an import's 500 EKs per call that cost
 * ~3 µs of the main thread per EK, against ~0.7 µs this way (100,000 lookups on a 100,000-device
 * table; the query still searches the EK index, one seek per hash).
 */
export async function ekOwners(
  db: SqlReader,
  ekPubSha256s: readonly string[],
): Promise<Map<string, { deviceId: number; station: string | null; serial: string }>> {
  const out = new Map<string, { deviceId: number; station: string | null; serial: string }>();
  const rows = await db.all<{
    ek_pub_sha256: Uint8Array;
    device_id: number;
    station: string | null;
    serial: string;
  }>(
    `SELECT e.ek_pub_sha256, e.device_id, d.station, d.serial FROM device_eks e JOIN devices d ON d.id = e.device_id
     WHERE e.ek_pub_sha256 IN (SELECT unhex(value) FROM json_each(?))`,
    [JSON.stringify(ekPubSha256s)],
  );
  for (const r of rows)
    out.set(Buffer.from(r.ek_pub_sha256).toString("hex"), {
      deviceId: r.device_id,
      station: r.station,
      serial: r.serial,
    });
  return out;
}

export interface DeviceQuery {
  state?: DeviceState;
  station?: string;
  /** Captured at or after this time (epoch seconds). */
  capturedSince?: number;
  serial?: string;
  limit?: number;
  /** Devices with an id above this one (pagination). */
  afterId?: number;
}

/** Devices matching the query, by id, without their EKs' certificates (for listings). */
export async function findDevices(db: SqlReader, q: DeviceQuery = {}): Promise<Device[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.state) where.push("state = ?") && params.push(q.state);
  if (q.station) where.push("station = ?") && params.push(q.station);
  if (q.capturedSince !== undefined) where.push("captured_at >= ?") && params.push(q.capturedSince);
  if (q.serial) where.push("serial = ?") && params.push(q.serial);
  if (q.afterId !== undefined) where.push("id > ?") && params.push(q.afterId);
  const sql = `SELECT ${DEVICE_WITHOUT_MANIFEST}
    FROM devices d ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
  params.push(Math.min(q.limit ?? 1000, 100_000));
  const rows = await db.all<DeviceRow>(sql, params);
  return Promise.all(rows.map(async (r) => toDevice(r, await deviceEks(db, r.id))));
}

export async function deviceEvents(db: SqlReader, deviceId: number): Promise<DeviceEvent[]> {
  const rows = await db.all<{ at: number; event: string; detail: string | null }>(
    "SELECT at, event, detail FROM device_events WHERE device_id = ? ORDER BY id",
    [deviceId],
  );
  return rows.map((r) => ({
    at: r.at,
    event: r.event,
    detail: r.detail === null ? null : JSON.parse(r.detail),
  }));
}

/** Moves a device to `state` (not to or from "revoked": see revokeDevice/restoreDevice). */
export async function setDeviceState(
  tx: SqlRunner,
  deviceId: number,
  state: Exclude<DeviceState, "revoked">,
  detail: Record<string, unknown> | null = null,
  now = Date.now(),
): Promise<void> {
  // Set-based (SqlRunner.batch): the registrations of one group commit share it.
  const updated = await tx.batch<{ id: number }>(
    `UPDATE devices SET state = j.value ->> 'state', updated_at = j.value ->> 'at' FROM json_each(?1) j
      WHERE devices.id = j.value ->> 'id' AND devices.state != 'revoked' RETURNING id`,
    { id: deviceId, state, at: seconds(now) },
  );
  if (!updated.some((r) => r.id === deviceId))
    throw new DeviceStateError(`device ${deviceId} is revoked or does not exist`);
  await addDeviceEvent(tx, deviceId, state, detail, now);
}

export async function revokeDevice(
  tx: SqlRunner,
  deviceId: number,
  reason: string,
  now = Date.now(),
): Promise<void> {
  const d = await tx.get<{ state: DeviceState }>("SELECT state FROM devices WHERE id = ?", [deviceId]);
  if (!d) throw new DeviceNotFoundError(`no device with id ${deviceId}`);
  if (d.state === "revoked") throw new DeviceStateError(`device ${deviceId} is already revoked`);
  await tx.run(
    "UPDATE devices SET state = 'revoked', state_before_revoke = ?, revoked_reason = ?, updated_at = ? WHERE id = ?",
    [d.state, reason, seconds(now), deviceId],
  );
  await addDeviceEvent(tx, deviceId, "revoked", { reason, was: d.state }, now);
}

export async function restoreDevice(tx: SqlRunner, deviceId: number, now = Date.now()): Promise<DeviceState> {
  const d = await tx.get<{ state: DeviceState; state_before_revoke: DeviceState | null }>(
    "SELECT state, state_before_revoke FROM devices WHERE id = ?",
    [deviceId],
  );
  if (!d) throw new DeviceNotFoundError(`no device with id ${deviceId}`);
  if (d.state !== "revoked")
    throw new DeviceStateError(`device ${deviceId} is not revoked (it is ${d.state})`);
  const back = d.state_before_revoke ?? "pre-registered";
  await tx.run(
    "UPDATE devices SET state = ?, state_before_revoke = NULL, revoked_reason = NULL, updated_at = ? WHERE id = ?",
    [back, seconds(now), deviceId],
  );
  await addDeviceEvent(tx, deviceId, "restored", { to: back }, now);
  return back;
}

// ---------------------------------------------------------------------------------------------
// Bulk inserts, for imports (cloud/import): many devices per statement.
//
// Two costs shape these statements. Each statement is a round trip to libuv's thread pool, so
// rows go in by the hundred. And node-sqlite3 converts every bound value on the main thread,
// about a microsecond each, and copies every bound blob with its own allocation: at 15 values
// and 3 blobs per device that was the largest item of an import's main thread. So a part of
// BULK_ROWS devices binds a handful of values whatever its size:
// - what every device of a run shares (source, station, comment, state, time, CA generation)
//   once, as numbered parameters;
// - the byte columns of its rows end to end in one blob per statement (the manifests; the EK
//   public areas and certificates), which each row slices with substr(offset, length). EK bytes
//   that are a run of the device's manifest (an import's) are not sent or stored again: the EK
//   row names their offset and length in the manifest (migration 4);
// - the rest of each row (serial, names, offsets…) as one JSON text of arrays, read with
//   json_each; ids are the first id plus the row's position, EK hashes hex text (`unhex`);
// - the events are copied from the device rows just inserted instead of being sent again.

/** Devices per INSERT: bounds the JSON text and the blob of one statement (~1 MB for manifests of ~2 KB). */
export const BULK_ROWS = 500;

/** The columns that all devices of one INSERT share (an import's devices share them all). */
interface SharedColumns {
  source: DeviceSource;
  station: string | null;
  comment: string | null;
  state: DeviceState;
  certsCaGeneration: number | null;
}

const shared = (d: NewDevice): SharedColumns => ({
  source: d.source,
  station: d.station,
  comment: d.comment,
  state: d.state ?? "pre-registered",
  certsCaGeneration: d.certsCaGeneration ?? null,
});

const sameShared = (a: SharedColumns, b: SharedColumns): boolean =>
  a.source === b.source &&
  a.station === b.station &&
  a.comment === b.comment &&
  a.state === b.state &&
  a.certsCaGeneration === b.certsCaGeneration;

/** Byte strings end to end, each named by its 1-based offset and length (substr's arguments). */
class BlobPack {
  readonly #parts: Uint8Array[] = [];
  #size = 0;

  /** [offset, length] of `bytes` in the pack; [null, null] for null. */
  add(bytes: Uint8Array | null): [number, number] | [null, null] {
    if (bytes === null) return [null, null];
    this.#parts.push(bytes);
    const at = this.#size + 1;
    this.#size += bytes.length;
    return [at, bytes.length];
  }

  bytes(): Uint8Array {
    return Buffer.concat(this.#parts, this.#size);
  }
}

/** A byte column of row `r`, whose offset and length are its JSON elements `at` and `at + 1`. */
const slice = (blob: string, at: number) =>
  `iif(r ->> ${at + 1} IS NULL, NULL, substr(${blob}, r ->> ${at}, r ->> ${at + 1}))`;

/**
 * ?1 first id, ?2…?5 and ?7 the shared columns, ?6 the time, ?8 the manifests; ?9 the rows:
 * [serial, hwUuid, model, capturedAt, manufacturer, vendor, fw, manifest offset, length].
 */
const DEVICES_INSERT = `INSERT INTO devices (id, serial, hw_uuid, model, source, station, captured_at,
       tpm_manufacturer, tpm_vendor, tpm_fw, manifest, comment, state, certs_ca_generation, created_at, updated_at)
     SELECT ?1 + k, r ->> 0, r ->> 1, r ->> 2, ?2, ?3, r ->> 3, r ->> 4, r ->> 5, r ->> 6, ${slice("?8", 7)},
       ?4, ?5, ?7, ?6, ?6
     FROM (SELECT key AS k, value AS r FROM json_each(?9)) ORDER BY k`;

/**
 * ?1 first id, ?2 the EKs' bytes; ?3 the rows: [ekPubSha256 hex, device's position, alg, template,
 * pub offset, length, cert offset, length (in ?2), certNv, pub offset, length, cert offset,
 * length (in the device's manifest)]. Each of pub and cert is in one place or the other (or null).
 */
const EKS_INSERT = `INSERT INTO device_eks (ek_pub_sha256, device_id, alg, template, ek_pub, cert, cert_nv,
       pub_at, pub_len, cert_at, cert_len)
     SELECT unhex(r ->> 0), ?1 + (r ->> 1), r ->> 2, r ->> 3, ${slice("?2", 4)}, ${slice("?2", 6)}, r ->> 8,
       r ->> 9, r ->> 10, r ->> 11, r ->> 12
     FROM (SELECT value AS r FROM json_each(?3))`;

/**
 * Where `part` starts in `manifest` (0-based) when it is a view of the manifest's own bytes, as
 * an import's EK bytes are (check-item.ts decodes the manifest with views); else undefined.
 */
export function offsetInManifest(manifest: Uint8Array, part: Uint8Array): number | undefined {
  if (part.buffer !== manifest.buffer) return undefined;
  const at = part.byteOffset - manifest.byteOffset;
  return at >= 0 && at + part.length <= manifest.length ? at : undefined;
}

/** Where `part` lies in `manifest` as substr takes it (1-based offset, length), or undefined. */
function spanIn(manifest: Uint8Array | null, part: Uint8Array | null): [number, number] | undefined {
  const at = manifest === null || part === null ? undefined : offsetInManifest(manifest, part);
  return at === undefined ? undefined : [at + 1, (part as Uint8Array).length];
}

/** An EK's bytes for EKS_INSERT: [offset, length] in the EK blob, then in the manifest. */
function ekBytesColumns(
  pack: BlobPack,
  manifest: Uint8Array | null,
  bytes: Uint8Array | null,
): [[number, number] | [null, null], [number, number] | [null, null]] {
  const span = spanIn(manifest, bytes);
  return span ? [[null, null], span] : [pack.add(bytes), [null, null]];
}

/** Devices of one run (same shared columns), ids first, first + 1…, with their EKs and events. */
async function insertRun(
  tx: SqlRunner,
  devices: readonly NewDevice[],
  first: number,
  t: number,
): Promise<void> {
  const s = shared(devices[0]!);
  for (let i = 0; i < devices.length; i += BULK_ROWS) {
    const part = devices.slice(i, i + BULK_ROWS);
    // One blob per statement: the EK INSERT is not sent the manifests.
    const manifests = new BlobPack();
    const ekBytes = new BlobPack();
    const rows: unknown[] = [];
    const eks: unknown[] = [];
    part.forEach((d, k) => {
      rows.push([
        d.serial,
        d.hwUuid,
        d.model,
        d.capturedAt,
        d.tpm.manufacturer,
        d.tpm.vendor,
        d.tpm.fw,
        ...manifests.add(d.manifest),
      ]);
      for (const ek of d.eks) {
        // Bytes the manifest holds are named by where they are in it, not written twice.
        const [pubHere, pubInManifest] = ekBytesColumns(ekBytes, d.manifest, ek.ekPub);
        const [certHere, certInManifest] = ekBytesColumns(ekBytes, d.manifest, ek.cert);
        eks.push([
          ek.ekPubSha256,
          k,
          ek.alg,
          ek.template,
          ...pubHere,
          ...certHere,
          ek.certNv,
          ...pubInManifest,
          ...certInManifest,
        ]);
      }
    });
    await tx.run(DEVICES_INSERT, [
      first + i,
      s.source,
      s.station,
      s.comment,
      s.state,
      t,
      s.certsCaGeneration,
      manifests.bytes(),
      JSON.stringify(rows),
    ]);
    if (eks.length > 0) await tx.run(EKS_INSERT, [first + i, ekBytes.bytes(), JSON.stringify(eks)]);
  }
  await tx.run(
    `INSERT INTO device_events (device_id, at, event, detail)
     SELECT id, ?, state, ? FROM devices WHERE id BETWEEN ? AND ? ORDER BY id`,
    [t, JSON.stringify({ source: s.source, station: s.station }), first, first + devices.length - 1],
  );
}

/**
 * Inserts devices with their EKs and a "pre-registered" (or `state`) event each, like
 * insertDevice, with multi-row INSERTs of BULK_ROWS rows. Ids are assigned here, after the
 * largest in the table, so the caller must hold the write transaction (every write does).
 * Returns the new ids, in order.
 */
export async function insertDevicesBulk(
  tx: SqlRunner,
  devices: readonly NewDevice[],
  now = Date.now(),
): Promise<number[]> {
  if (devices.length === 0) return [];
  const t = seconds(now);
  const max = await tx.get<{ id: number | null }>("SELECT MAX(id) AS id FROM devices");
  const first = (max?.id ?? 0) + 1;
  // Runs of consecutive devices that share their shared columns (a whole import is one run).
  for (let start = 0; start < devices.length; ) {
    const s = shared(devices[start]!);
    let end = start + 1;
    while (end < devices.length && sameShared(s, shared(devices[end]!))) end++;
    await insertRun(tx, devices.slice(start, end), first + start, t);
    start = end;
  }
  return devices.map((_, i) => first + i);
}
