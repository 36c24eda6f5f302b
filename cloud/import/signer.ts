// Who signed a file: the station whose key has the COSE kid, among every station the registrar
// knows, retired ones included, so that a refusal can say "retired" rather than "unknown".
// Only a station that is trusted now (not retired) is accepted (DESIGN §5, §6).
import type { KeyLookup } from "../../shared/formats/cose-verify.js";
import type { SqlReader } from "../store/sql.js";
import { listStations, type Station } from "../store/stations.js";
import { ImportError } from "./report.js";

export interface Signers {
  /** Every known station's key by kid, for verifySign1 (retired ones too: see acceptSigner). */
  lookup: KeyLookup;
  byKid(kid: Uint8Array): Station | undefined;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

export async function loadSigners(db: SqlReader): Promise<Signers> {
  const byKid = new Map((await listStations(db)).map((s) => [hex(s.kid), s]));
  return {
    lookup: (kid) => byKid.get(hex(kid))?.publicKey,
    byKid: (kid) => byKid.get(hex(kid)),
  };
}

/**
 * The station that signed `what` with key `kid`, once its signature verified; throws
 * ImportError when it is unknown or retired, or when the file names another station.
 */
export function acceptSigner(signers: Signers, kid: Uint8Array, named: string, what: string): Station {
  const station = signers.byKid(kid);
  if (!station)
    throw new ImportError(
      "IMPORT_UNKNOWN_STATION",
      `${what} is signed by an unknown station kid ${hex(kid)}: no trusted station has that key (add it with 'registrar stations add NAME NAME.pub')`,
    );
  if (station.retiredAt !== null)
    throw new ImportError(
      "IMPORT_STATION_RETIRED",
      `${what} is signed by station ${station.name}, which is retired (since ${new Date(station.retiredAt * 1000).toISOString()}): nothing it signs is imported any more`,
    );
  if (named !== station.name)
    throw new ImportError(
      "IMPORT_STATION_MISMATCH",
      `${what} says it comes from station "${named}" but is signed by the key of station "${station.name}"`,
    );
  return station;
}
