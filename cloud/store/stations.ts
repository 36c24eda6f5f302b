// Trusted factory stations (DESIGN §5, §6): the registrar trusts a station's signature by its
// Ed25519 public key, matched by `kid`. Retired stations stay in the table (their bundles and
// devices refer to them) but sign nothing the registrar accepts any more.
import { kidOf } from "../../shared/formats/cose-verify.js";
import type { SqlReader, SqlRunner } from "./sql.js";

export interface Station {
  name: string;
  kid: Uint8Array;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
  addedAt: number;
  retiredAt: number | null;
  /** The newest bundle of this station's chain imported so far. */
  lastSeq: number | null;
  lastDigest: Uint8Array | null;
}

interface StationRow {
  name: string;
  kid: Uint8Array;
  public_key: Uint8Array;
  added_at: number;
  retired_at: number | null;
  last_seq: number | null;
  last_digest: Uint8Array | null;
}

const COLUMNS = "name, kid, public_key, added_at, retired_at, last_seq, last_digest";

function toStation(r: StationRow): Station {
  return {
    name: r.name,
    kid: new Uint8Array(r.kid),
    publicKey: new Uint8Array(r.public_key),
    addedAt: r.added_at,
    retiredAt: r.retired_at,
    lastSeq: r.last_seq,
    lastDigest: r.last_digest === null ? null : new Uint8Array(r.last_digest),
  };
}

export class StationConflictError extends Error {
  override readonly name = "StationConflictError";
  readonly code = "STATION_EXISTS";
}

export class StationNotFoundError extends Error {
  override readonly name = "StationNotFoundError";
  readonly code = "STATION_NOT_FOUND";
}

const STATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Station names are file names (NAME.key, NAME.pub): letters, digits, '.', '_', '-'. */
export function checkStationName(name: string): string | undefined {
  return STATION_NAME.test(name)
    ? undefined
    : `station name "${name}" must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit`;
}

export async function addStation(
  tx: SqlRunner,
  name: string,
  publicKey: Uint8Array,
  now = Date.now(),
): Promise<Station> {
  const bad = checkStationName(name);
  if (bad) throw new StationConflictError(bad);
  const kid = kidOf(publicKey);
  const byName = await tx.get<StationRow>(`SELECT ${COLUMNS} FROM stations WHERE name = ?`, [name]);
  if (byName)
    throw new StationConflictError(
      `a station named "${name}" is already trusted${byName.retired_at === null ? "" : " (retired)"}: a station's key cannot be replaced, add it under a new name`,
    );
  const byKid = await tx.get<StationRow>(`SELECT ${COLUMNS} FROM stations WHERE kid = ?`, [kid]);
  if (byKid) throw new StationConflictError(`this key is already trusted as station "${byKid.name}"`);
  await tx.run("INSERT INTO stations (name, kid, public_key, added_at) VALUES (?, ?, ?, ?)", [
    name,
    kid,
    publicKey,
    Math.floor(now / 1000),
  ]);
  return toStation((await tx.get<StationRow>(`SELECT ${COLUMNS} FROM stations WHERE name = ?`, [name]))!);
}

export async function listStations(db: SqlReader): Promise<Station[]> {
  return (await db.all<StationRow>(`SELECT ${COLUMNS} FROM stations ORDER BY name`)).map(toStation);
}

export async function getStation(db: SqlReader, name: string): Promise<Station | undefined> {
  const r = await db.get<StationRow>(`SELECT ${COLUMNS} FROM stations WHERE name = ?`, [name]);
  return r && toStation(r);
}

export async function stationByKid(db: SqlReader, kid: Uint8Array): Promise<Station | undefined> {
  const r = await db.get<StationRow>(`SELECT ${COLUMNS} FROM stations WHERE kid = ?`, [kid]);
  return r && toStation(r);
}

/** Retires a station: from now on nothing it signed is imported. Its devices stay. */
export async function retireStation(tx: SqlRunner, name: string, now = Date.now()): Promise<Station> {
  const r = await tx.run("UPDATE stations SET retired_at = ? WHERE name = ? AND retired_at IS NULL", [
    Math.floor(now / 1000),
    name,
  ]);
  const station = await getStation(tx, name);
  if (!station) throw new StationNotFoundError(`no station named "${name}"`);
  if (r.changes === 0) throw new StationConflictError(`station "${name}" is already retired`);
  return station;
}

/** Moves the head of a station's chain to the bundle just imported. */
export async function advanceStationChain(
  tx: SqlRunner,
  name: string,
  seq: number,
  digest: Uint8Array,
): Promise<void> {
  await tx.run(
    "UPDATE stations SET last_seq = ?, last_digest = ? WHERE name = ? AND (last_seq IS NULL OR last_seq < ?)",
    [seq, digest, name, seq],
  );
}
