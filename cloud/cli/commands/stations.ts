// `registrar stations add NAME FILE | list | retire NAME | devices NAME [--since T] |
// revoke-devices NAME --since T --reason TEXT`.
import { EXIT, type ExitStatus, type Io, parseIsoDate, UsageError } from "../../../shared/cli/args.js";
import { readPublicKey } from "../../../shared/formats/keys.js";
import { deviceJson, revokeStationDevices } from "../../admin/devices.js";
import { retireStationAudited, stationJson, trustStation } from "../../admin/stations.js";
import { findDevices } from "../../store/devices.js";
import { getStation, listStations, StationNotFoundError } from "../../store/stations.js";
import { cliActor, DB_OPTIONS, withRegistrar } from "../database.js";
import { STATIONS_HELP } from "../help.js";
import { argsWith, isoTime, runSubcommand } from "../subcommands.js";

const OPTIONS = {
  ...DB_OPTIONS,
  json: { type: "boolean" },
  since: { type: "string" },
  reason: { type: "string" },
} as const;
const args = (command: string, argv: readonly string[], count: number, what = "") =>
  argsWith(command, argv, OPTIONS, count, what);
const sinceSeconds = (text: string, command: string) =>
  Math.floor(parseIsoDate(text, "--since", command).getTime() / 1000);

export function stationsCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runSubcommand("stations", argv, io, STATIONS_HELP, {
    add: async (rest) => {
      const command = "stations add";
      const { values, positionals } = args(command, rest, 2, "NAME and the station's public key FILE");
      const [name, file] = positionals as [string, string];
      let key: Awaited<ReturnType<typeof readPublicKey>>;
      try {
        key = await readPublicKey(file, "ed25519");
      } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`, command);
      }
      return withRegistrar(values.db, command, async (registrar) => {
        const s = await trustStation(registrar, name, key, cliActor());
        io.out(
          values.json
            ? `${JSON.stringify(stationJson(s))}\n`
            : `trusted station ${s.name} (kid ${Buffer.from(s.kid).toString("hex")})\n`,
        );
        return EXIT.ok;
      });
    },
    list: async (rest) => {
      const { values } = args("stations list", rest, 0);
      return withRegistrar(values.db, "stations list", async (registrar) => {
        const stations = await listStations(registrar.db);
        if (values.json) io.out(`${JSON.stringify(stations.map(stationJson))}\n`);
        else {
          for (const s of stations)
            io.out(
              `${s.name.padEnd(20)} ${s.retiredAt === null ? "trusted" : `retired ${isoTime(s.retiredAt)}`}  kid ${Buffer.from(s.kid).toString("hex")}  last bundle ${s.lastSeq ?? "-"}\n`,
            );
          io.out(`${stations.length} station(s)\n`);
        }
        return EXIT.ok;
      });
    },
    retire: async (rest) => {
      const { values, positionals } = args("stations retire", rest, 1, "the station's NAME");
      return withRegistrar(values.db, "stations retire", async (registrar) => {
        const s = await retireStationAudited(registrar, positionals[0]!, cliActor());
        io.out(values.json ? `${JSON.stringify(stationJson(s))}\n` : `retired station ${s.name}\n`);
        return EXIT.ok;
      });
    },
    devices: async (rest) => {
      const command = "stations devices";
      const { values, positionals } = args(command, rest, 1, "the station's NAME");
      const since = values.since === undefined ? undefined : sinceSeconds(values.since, command);
      return withRegistrar(values.db, command, async (registrar) => {
        const name = positionals[0]!;
        if (!(await getStation(registrar.db, name)))
          throw new StationNotFoundError(`no station named "${name}"`);
        const devices = await findDevices(registrar.db, {
          station: name,
          ...(since !== undefined ? { capturedSince: since } : {}),
          limit: 100_000,
        });
        if (values.json) io.out(`${JSON.stringify(devices.map((d) => deviceJson(d)))}\n`);
        else {
          for (const d of devices)
            io.out(
              `${String(d.id).padStart(6)}  ${d.serial.padEnd(24)} ${d.state.padEnd(14)} captured ${isoTime(d.capturedAt)}\n`,
            );
          io.out(`${devices.length} device(s)\n`);
        }
        return EXIT.ok;
      });
    },
    "revoke-devices": async (rest) => {
      const command = "stations revoke-devices";
      const { values, positionals } = args(command, rest, 1, "the station's NAME");
      if (values.since === undefined) throw new UsageError("--since T is required", command);
      if (!values.reason) throw new UsageError("--reason TEXT is required", command);
      const since = sinceSeconds(values.since, command);
      return withRegistrar(values.db, command, async (registrar) => {
        const name = positionals[0]!;
        if (!(await getStation(registrar.db, name)))
          throw new StationNotFoundError(`no station named "${name}"`);
        const n = await revokeStationDevices(registrar, name, since, values.reason!, cliActor());
        io.out(
          values.json
            ? `${JSON.stringify({ station: name, since, revoked: n })}\n`
            : `revoked ${n} device(s) captured by ${name} since ${isoTime(since)}\n`,
        );
        return EXIT.ok;
      });
    },
  });
}
