// A worker thread of check-pool.ts: builds its own copy of the registrar's CA store from the
// DER it is given, then checks batches of manifest items (check-item.ts) as they come.
import { parentPort, workerData } from "node:worker_threads";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { CaStore } from "../../shared/ekcert/store.js";
import { type CheckInput, checkItem } from "./check-item.js";
import { DeviceChecker } from "./device-checks.js";

export interface WorkerSetup {
  cas: { der: Uint8Array; source: string | undefined }[];
  origin: string | undefined;
}

export interface CheckRequest {
  id: number;
  station: string;
  items: CheckInput[];
}

const setup = workerData as WorkerSetup;
const store = new CaStore([], setup.origin);
for (const ca of setup.cas) store.add(parseCertificate(ca.der), ca.source);
const checker = new DeviceChecker(store);
const port = parentPort!;
port.on("message", (m: CheckRequest) => {
  try {
    port.postMessage({ id: m.id, results: m.items.map((item) => checkItem(checker, m.station, item)) });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
port.postMessage({ ready: true });
