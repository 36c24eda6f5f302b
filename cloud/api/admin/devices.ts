// /api/v1/devices: list, show (with history), revoke and restore; SecL-shaped
// /api/v1/tpm-endorsements for single EK pre-registration.
import { Hono } from "hono";
import { deviceJson, resolveDevice, restoreDeviceAudited, revokeDeviceAudited } from "../../admin/devices.js";
import { preRegisterEndorsement } from "../../admin/endorsements.js";
import type { Registrar } from "../../registrar/registrar.js";
import { DEVICE_STATES, type DeviceState, deviceEvents, findDevices } from "../../store/devices.js";
import { type AdminVariables, requireScope } from "../auth.js";
import { ApiError, ok } from "../envelope.js";
import { base64Field, optionalTextField, readJsonObject, textField } from "../json-body.js";

const MAX_CERT_BYTES = 16 * 1024;

function intParam(value: string | undefined, name: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) > max)
    throw new ApiError(400, "QUERY_INVALID", `query parameter ${name} must be an integer from 0 to ${max}`);
  return Number(value);
}

export function deviceRoutes(registrar: Registrar): Hono<{ Variables: AdminVariables }> {
  const app = new Hono<{ Variables: AdminVariables }>();
  const read = requireScope(registrar, "devices:read");
  const revoke = requireScope(registrar, "devices:revoke");

  app.get("/devices", read, async (c) => {
    const state = c.req.query("state");
    if (state !== undefined && !(DEVICE_STATES as readonly string[]).includes(state))
      throw new ApiError(400, "QUERY_INVALID", `state must be one of ${DEVICE_STATES.join(", ")}`);
    const since = intParam(c.req.query("captured_since"), "captured_since", 2 ** 40);
    const afterId = intParam(c.req.query("after_id"), "after_id", 2 ** 50);
    const limit = intParam(c.req.query("limit"), "limit", 10_000) ?? 1000;
    const station = c.req.query("station");
    const serial = c.req.query("serial");
    const devices = await findDevices(registrar.db, {
      ...(state ? { state: state as DeviceState } : {}),
      ...(station ? { station } : {}),
      ...(serial ? { serial } : {}),
      ...(since !== undefined ? { capturedSince: since } : {}),
      ...(afterId !== undefined ? { afterId } : {}),
      limit,
    });
    return ok(c, { devices: devices.map((d) => deviceJson(d)), next_after_id: devices.at(-1)?.id ?? null });
  });

  app.get("/devices/:ref", read, async (c) => {
    const device = await resolveDevice(registrar, c.req.param("ref"));
    return ok(c, {
      ...deviceJson(device, { withCerts: true }),
      history: await deviceEvents(registrar.db, device.id),
    });
  });

  app.post("/devices/:ref/revoke", revoke, async (c) => {
    const body = await readJsonObject(c, registrar.config.maxJsonBytes);
    const reason = textField(body, "reason", 1000);
    const device = await resolveDevice(registrar, c.req.param("ref"));
    await revokeDeviceAudited(registrar, device, reason, c.get("actor"));
    return ok(c, { id: device.id, state: "revoked" });
  });

  app.post("/devices/:ref/restore", revoke, async (c) => {
    const device = await resolveDevice(registrar, c.req.param("ref"));
    const state = await restoreDeviceAudited(registrar, device, c.get("actor"));
    return ok(c, { id: device.id, state });
  });

  app.post("/tpm-endorsements", requireScope(registrar, "devices:write"), async (c) => {
    const body = await readJsonObject(c, registrar.config.maxJsonBytes);
    const certText = textField(body, "certificate", MAX_CERT_BYTES * 2);
    const certificate = certText.includes("-----BEGIN")
      ? new TextEncoder().encode(certText)
      : base64Field(body, "certificate", MAX_CERT_BYTES);
    const revoked = body["revoked"];
    if (revoked !== undefined && revoked !== null && typeof revoked !== "boolean")
      throw new ApiError(400, "FIELD_TYPE", 'the field "revoked" must be true or false');
    const issuer = optionalTextField(body, "issuer", 2048);
    const hardwareUuid = optionalTextField(body, "hardware_uuid", 128);
    const comment = optionalTextField(body, "comment", 1000);
    const device = await preRegisterEndorsement(
      registrar,
      {
        certificate,
        ...(issuer !== undefined ? { issuer } : {}),
        ...(hardwareUuid !== undefined ? { hardwareUuid } : {}),
        ...(comment !== undefined ? { comment } : {}),
        ...(revoked === true ? { revoked: true } : {}),
      },
      c.get("actor"),
    );
    return ok(c, deviceJson(device), 201, "Created");
  });

  return app;
}
