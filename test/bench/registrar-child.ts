// The registrar process of registration.bench.ts: a real `serve` on loopback over a fresh
// sqlite file (synchronous = FULL), with the rate limits raised so that the load generator's
// few hundred agents, re-registering in a loop, are not throttled. Prints one JSON line
// {url, token} once listening; runs until SIGTERM. It trusts the bench's manufacturer CAs and
// its station (STATION-NAME, with the raw Ed25519 public key STATION-KEY in hex), whose bundle
// pre-registers the agents.
//
//   node --import tsx test/bench/registrar-child.ts DB CA-DIR STATION-NAME STATION-KEY
import { importCaDir } from "../../cloud/admin/cas.js";
import { createTokenAudited } from "../../cloud/admin/tokens.js";
import { Registrar } from "../../cloud/registrar/registrar.js";
import { startServer } from "../../cloud/server.js";
import { SqliteDatabase } from "../../cloud/store/sqlite-database.js";
import { addStation } from "../../cloud/store/stations.js";

const [dbPath, caDir, stationName, stationKey] = process.argv.slice(2);
if (!dbPath || !caDir || !stationName || !stationKey)
  throw new Error("usage: registrar-child.ts DB CA-DIR STATION-NAME STATION-KEY");
const db = await SqliteDatabase.open(dbPath, {
  synchronous: process.env.BENCH_SYNCHRONOUS === "normal" ? "normal" : "full",
});
const unlimited = { requests: 1_000_000_000, windowSeconds: 60 };
const registrar = new Registrar(db, {
  config: { rateLimitPerAddress: unlimited, rateLimitPerEk: unlimited },
});
await importCaDir(registrar, caDir, "bench");
await db.write((tx) => addStation(tx, stationName, new Uint8Array(Buffer.from(stationKey, "hex"))));
const { token } = await createTokenAudited(
  registrar,
  "bench",
  ["bundles:import", "devices:read"],
  null,
  "bench",
);
const server = await startServer(registrar, { port: 0 });
process.stdout.write(`${JSON.stringify({ url: server.url, token, synchronous: db.synchronous })}\n`);
process.once("SIGTERM", async () => {
  await server.close();
  await db.close();
  process.exit(0);
});
