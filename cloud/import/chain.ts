// A bundle's place in its station's chain (DESIGN §5: seq 1, 2, 3…; prev = SHA-256 of the
// station's previous plain bundle). The station row keeps the head: last_seq, last_digest.
//
//   first     the station has no bundle yet and this is seq 1 (prev null);
//   in-order  seq = last_seq + 1 and prev = last_digest; or a bundle that arrives late into a
//             gap and agrees with its imported neighbours (prev = digest of seq − 1, and
//             bundle seq + 1 names this one as its prev);
//   gap       seq > last_seq + 1 (or the station's first bundle is not seq 1): the bundles in
//             between are missing, named in the note;
//   fork      prev does not match the bundle before it, or the station already has another
//             bundle with this seq: two histories of one station (a cloned or compromised
//             station key, or a station whose state was restored from a backup).
//
// A gap or a fork does not refuse the bundle: its devices were still captured by a trusted
// station and each is checked on its own, and refusing would let one lost file block every
// later one. It is reported (import report, bundles.chain_note, audit log) for an operator to
// look into. The head moves forward on first, in-order and gap, never on a fork, so the chain
// the registrar follows stays the first history it saw.
import type { BundleHeader } from "../../shared/formats/bundle.js";
import type { SqlRunner } from "../store/sql.js";
import { advanceStationChain, getStation } from "../store/stations.js";
import type { ChainStatus } from "./report.js";

export interface ChainVerdict {
  status: ChainStatus;
  note: string;
}

const hex = (b: Uint8Array | null | undefined): string => (b ? Buffer.from(b).toString("hex") : "null");
const same = (a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean =>
  !!a && !!b && Buffer.compare(a, b) === 0;

function missing(station: string, from: number, to: number): string {
  return from === to
    ? `bundle ${from} of station ${station} is missing`
    : `bundles ${from}–${to} of station ${station} are missing`;
}

/** Decides the bundle's chain status inside the import transaction (its digest is known). */
export async function evaluateChain(
  tx: SqlRunner,
  stationName: string,
  header: BundleHeader,
  digest: Uint8Array,
): Promise<ChainVerdict> {
  const station = await getStation(tx, stationName);
  const { seq, prev } = header;
  const last = station?.lastSeq ?? null;
  if (last === null) {
    if (seq === 1) return { status: "first", note: `first bundle of station ${stationName}` };
    return {
      status: "gap",
      note: `${missing(stationName, 1, seq - 1)} (bundle ${seq} is the first imported)`,
    };
  }
  if (seq === last + 1) {
    if (same(prev, station?.lastDigest))
      return { status: "in-order", note: `bundle ${seq} follows bundle ${last} of station ${stationName}` };
    return {
      status: "fork",
      note: `fork: bundle ${seq} of station ${stationName} does not follow bundle ${last}: its prev ${hex(prev)} is not the digest ${hex(station?.lastDigest)} of the imported bundle ${last}`,
    };
  }
  if (seq > last + 1) return { status: "gap", note: missing(stationName, last + 1, seq - 1) };
  const at = async (s: number) =>
    tx.get<{ digest: Uint8Array; prev: Uint8Array | null }>(
      "SELECT digest, prev FROM bundles WHERE station = ? AND seq = ? ORDER BY imported_at LIMIT 1",
      [stationName, s],
    );
  const twin = await at(seq);
  if (twin)
    return {
      status: "fork",
      note: `fork: station ${stationName} already has a bundle ${seq} (digest ${hex(twin.digest)}) and this is another one with the same seq`,
    };
  const before = seq > 1 ? await at(seq - 1) : undefined;
  if (before && !same(prev, before.digest))
    return {
      status: "fork",
      note: `fork: bundle ${seq} of station ${stationName} does not follow bundle ${seq - 1}: its prev ${hex(prev)} is not that bundle's digest ${hex(before.digest)}`,
    };
  const after = await at(seq + 1);
  if (after && !same(after.prev, digest))
    return {
      status: "fork",
      note: `fork: bundle ${seq + 1} of station ${stationName} names prev ${hex(after.prev)}, not this bundle ${seq} (${hex(digest)})`,
    };
  return {
    status: "in-order",
    note: `bundle ${seq} of station ${stationName} arrived late and fills the gap before bundle ${last}`,
  };
}

/** Moves the station's head to this bundle, unless it forks (see above). */
export async function recordChain(
  tx: SqlRunner,
  stationName: string,
  header: BundleHeader,
  digest: Uint8Array,
  verdict: ChainVerdict,
): Promise<void> {
  if (verdict.status !== "fork") await advanceStationChain(tx, stationName, header.seq, digest);
}
