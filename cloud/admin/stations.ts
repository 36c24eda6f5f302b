// Station administration shared by the admin API and the CLI, audited.
import type { KeyObject } from "node:crypto";
import { rawPublicKey } from "../../shared/formats/keys.js";
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { addStation, retireStation, type Station } from "../store/stations.js";

export async function trustStation(
  registrar: Registrar,
  name: string,
  publicKey: KeyObject,
  actor: string,
): Promise<Station> {
  return registrar.db.write(async (tx) => {
    const station = await addStation(tx, name, rawPublicKey(publicKey), registrar.clock());
    await appendAudit(
      tx,
      {
        actor,
        action: "station.add",
        subject: name,
        detail: { kid: Buffer.from(station.kid).toString("hex") },
      },
      registrar.clock(),
    );
    return station;
  });
}

export async function retireStationAudited(
  registrar: Registrar,
  name: string,
  actor: string,
): Promise<Station> {
  return registrar.db.write(async (tx) => {
    const station = await retireStation(tx, name, registrar.clock());
    await appendAudit(tx, { actor, action: "station.retire", subject: name }, registrar.clock());
    return station;
  });
}

export function stationJson(s: Station): Record<string, unknown> {
  return {
    name: s.name,
    kid: Buffer.from(s.kid).toString("hex"),
    public_key: Buffer.from(s.publicKey).toString("base64"),
    added_at: s.addedAt,
    retired_at: s.retiredAt,
    last_seq: s.lastSeq,
    last_digest: s.lastDigest === null ? null : Buffer.from(s.lastDigest).toString("hex"),
  };
}
