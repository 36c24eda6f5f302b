// `registrar devices list | show DEVICE | revoke DEVICE --reason TEXT | restore DEVICE`.
import { EXIT, type ExitStatus, type Io, UsageError } from "../../../shared/cli/args.js";
import { deviceJson, resolveDevice, restoreDeviceAudited, revokeDeviceAudited } from "../../admin/devices.js";
import { DEVICE_STATES, type DeviceState, deviceEvents, findDevices } from "../../store/devices.js";
import { cliActor, DB_OPTIONS, withRegistrar } from "../database.js";
import { DEVICES_HELP } from "../help.js";
import { argsWith, isoTime, runSubcommand } from "../subcommands.js";

const OPTIONS = {
  ...DB_OPTIONS,
  json: { type: "boolean" },
  state: { type: "string" },
  station: { type: "string" },
  serial: { type: "string" },
  limit: { type: "string" },
  reason: { type: "string" },
} as const;
const args = (command: string, argv: readonly string[], count: number, what = "") =>
  argsWith(command, argv, OPTIONS, count, what);

export function devicesCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runSubcommand("devices", argv, io, DEVICES_HELP, {
    list: async (rest) => {
      const command = "devices list";
      const { values } = args(command, rest, 0);
      if (values.state !== undefined && !(DEVICE_STATES as readonly string[]).includes(values.state))
        throw new UsageError(`--state must be one of ${DEVICE_STATES.join(", ")}`, command);
      const limit = values.limit === undefined ? 1000 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
        throw new UsageError("--limit must be an integer from 1 to 100000", command);
      return withRegistrar(values.db, command, async (registrar) => {
        const devices = await findDevices(registrar.db, {
          ...(values.state ? { state: values.state as DeviceState } : {}),
          ...(values.station ? { station: values.station } : {}),
          ...(values.serial ? { serial: values.serial } : {}),
          limit,
        });
        if (values.json) io.out(`${JSON.stringify(devices.map((d) => deviceJson(d)))}\n`);
        else {
          for (const d of devices)
            io.out(
              `${String(d.id).padStart(6)}  ${d.serial.padEnd(24)} ${d.state.padEnd(14)} ${(d.station ?? d.source).padEnd(16)} ${d.eks.map((e) => e.alg ?? "?").join(",")}\n`,
            );
          io.out(`${devices.length} device(s)\n`);
        }
        return EXIT.ok;
      });
    },
    show: async (rest) => {
      const { values, positionals } = args("devices show", rest, 1, "one DEVICE (id, EK hash or serial)");
      return withRegistrar(values.db, "devices show", async (registrar) => {
        const d = await resolveDevice(registrar, positionals[0]!);
        const history = await deviceEvents(registrar.db, d.id);
        if (values.json) {
          io.out(`${JSON.stringify({ ...deviceJson(d, { withCerts: true }), history })}\n`);
          return EXIT.ok;
        }
        io.out(
          `device ${d.id}: ${d.serial} (${d.state}${d.revokedReason ? `: ${d.revokedReason}` : ""})\n` +
            `  hw_uuid ${d.hwUuid ?? "-"}  model ${d.model ?? "-"}\n` +
            `  from ${d.source}${d.station ? ` of station ${d.station}` : ""}, captured ${isoTime(d.capturedAt)}\n` +
            `  TPM ${[d.tpm.manufacturer, d.tpm.vendor, d.tpm.fw].filter(Boolean).join(" ") || "-"}\n`,
        );
        for (const ek of d.eks)
          io.out(
            `  EK ${ek.alg ?? "?"} ${ek.template ?? ""} ek_pub_sha256 ${ek.ekPubSha256}${ek.cert ? "" : " (no certificate)"}\n`,
          );
        for (const h of history)
          io.out(`  ${isoTime(h.at)}  ${h.event}${h.detail ? `  ${JSON.stringify(h.detail)}` : ""}\n`);
        return EXIT.ok;
      });
    },
    revoke: async (rest) => {
      const command = "devices revoke";
      const { values, positionals } = args(command, rest, 1, "one DEVICE (id, EK hash or serial)");
      if (!values.reason) throw new UsageError("--reason TEXT is required (it is recorded)", command);
      return withRegistrar(values.db, command, async (registrar) => {
        const d = await resolveDevice(registrar, positionals[0]!);
        await revokeDeviceAudited(registrar, d, values.reason!, cliActor());
        io.out(
          values.json
            ? `${JSON.stringify({ id: d.id, state: "revoked" })}\n`
            : `revoked device ${d.id} (${d.serial})\n`,
        );
        return EXIT.ok;
      });
    },
    restore: async (rest) => {
      const { values, positionals } = args("devices restore", rest, 1, "one DEVICE (id, EK hash or serial)");
      return withRegistrar(values.db, "devices restore", async (registrar) => {
        const d = await resolveDevice(registrar, positionals[0]!);
        const state = await restoreDeviceAudited(registrar, d, cliActor());
        io.out(
          values.json
            ? `${JSON.stringify({ id: d.id, state })}\n`
            : `restored device ${d.id} (${d.serial}) to ${state}\n`,
        );
        return EXIT.ok;
      });
    },
  });
}
