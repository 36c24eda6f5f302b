// /api/v1/stations: trust (Ed25519 public key PEM), list, retire; and a station's devices,
// listed or revoked from a given capture time (a compromised station).
import { Hono } from "hono";
import { parsePublicKeyPem } from "../../../shared/formats/keys.js";
import { deviceJson, revokeStationDevices } from "../../admin/devices.js";
import { retireStationAudited, stationJson, trustStation } from "../../admin/stations.js";
import type { Registrar } from "../../registrar/registrar.js";
import { findDevices } from "../../store/devices.js";
import { getStation, listStations, StationNotFoundError } from "../../store/stations.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, ok } from "../envelope.js";
import { optionalIntField, readJsonObject, textField } from "../json-body.js";

export function stationRoutes(registrar: Registrar): Hono<{ Variables: AdminVariables }> {
  const app = new Hono<{ Variables: AdminVariables }>();
  const write = requireScope(registrar, "stations:write");
  const read = requireScope(registrar, "devices:read");

  const station = async (name: string) => {
    const s = await getStation(registrar.db, name);
    if (!s) throw new StationNotFoundError(`no station named "${name}"`);
    return s;
  };

  app.get("/stations", read, async (c) =>
    ok(c, { stations: (await listStations(registrar.db)).map(stationJson) }),
  );

  app.post("/stations", write, async (c) => {
    const body = await readJsonObject(c, registrar.config.maxJsonBytes);
    const name = textField(body, "name", 64);
    const pem = textField(body, "public_key", 4096);
    let key: ReturnType<typeof parsePublicKeyPem>;
    try {
      key = parsePublicKeyPem(pem, "ed25519", "public_key");
    } catch (e) {
      throw new ApiError(400, "FIELD_INVALID", (e as Error).message);
    }
    return ok(c, stationJson(await trustStation(registrar, name, key, c.get("actor"))), 201, "Created");
  });

  app.post("/stations/:name/retire", write, async (c) =>
    ok(c, stationJson(await retireStationAudited(registrar, c.req.param("name"), c.get("actor")))),
  );

  app.get("/stations/:name/devices", read, async (c) => {
    const s = await station(c.req.param("name"));
    const since = c.req.query("since");
    if (since !== undefined && !/^\d{1,12}$/.test(since))
      throw new ApiError(400, "QUERY_INVALID", "since must be epoch seconds");
    const devices = await findDevices(registrar.db, {
      station: s.name,
      ...(since !== undefined ? { capturedSince: Number(since) } : {}),
      limit: 10_000,
    });
    return ok(c, { station: s.name, devices: devices.map((d) => deviceJson(d)) });
  });

  app.post("/stations/:name/revoke-devices", requireScope(registrar, "devices:revoke"), async (c) => {
    const s = await station(c.req.param("name"));
    const body = await readJsonObject(c, registrar.config.maxJsonBytes);
    const since = optionalIntField(body, "since", 0, 2 ** 40);
    if (since === undefined)
      throw new ApiError(400, "FIELD_MISSING", 'the field "since" (epoch seconds) is missing');
    const reason = textField(body, "reason", 1000);
    const revoked = await revokeStationDevices(registrar, s.name, since, reason, c.get("actor"));
    return ok(c, { station: s.name, since, revoked });
  });

  return app;
}
