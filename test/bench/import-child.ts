// The child process of import.bench.ts: imports one bundle into a fresh registrar database, so
// that its peak RSS and CPU time are the import's own.
//
//   node --import tsx test/bench/import-child.ts WORKDIR BUNDLE STATION STATION.pub CA-DIR
//
// Prints one JSON line: seconds, accepted, rejected, peak_rss (bytes), cpu_s (user + system).
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { importCaDir } from "../../cloud/admin/cas.js";
import { trustStation } from "../../cloud/admin/stations.js";
import { importFile } from "../../cloud/import/import-file.js";
import { Registrar } from "../../cloud/registrar/registrar.js";
import { SqliteDatabase } from "../../cloud/store/sqlite-database.js";
import { readPublicKey } from "../../shared/formats/keys.js";

const [work, bundle, station, stationPub, caDir] = process.argv.slice(2);
if (!work || !bundle || !station || !stationPub || !caDir)
  throw new Error("usage: import-child.ts WORKDIR BUNDLE STATION STATION.pub CA-DIR");

const db = await SqliteDatabase.open(join(work, "registrar.db"));
const registrar = new Registrar(db);
await importCaDir(registrar, caDir, "bench");
await trustStation(registrar, station, await readPublicKey(stationPub, "ed25519"), "bench");
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const report = await importFile(registrar, createReadStream(bundle, { highWaterMark: 64 * 1024 }), {
  actor: "bench",
});
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await db.close();
process.stdout.write(
  `${JSON.stringify({
    seconds,
    accepted: report.accepted,
    rejected: report.rejected_count,
    synchronous: db.synchronous,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    peak_rss: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
