// A worker thread of check-pool.ts: builds its own copy of the registrar's CA store from the
// DER it is given, then checks batches of manifest items (check-item.ts) as they come, packed
// as check-wire.ts says.
import { parentPort, workerData } from "node:worker_threads";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { CaStore } from "../../shared/ekcert/store.js";
import { checkItem } from "./check-item.js";
import { encodeResult, joinResults, unpackBatch, type WireBatch } from "./check-wire.js";
import { DeviceChecker } from "./device-checks.js";

export interface WorkerSetup {
  cas: { der: Uint8Array; source: string | undefined }[];
  origin: string | undefined;
}

export interface CheckRequest {
  id: number;
  batch: WireBatch;
}

/** The answer to a CheckRequest: `results` from joinResults, or why the batch failed. */
export interface CheckResponse {
  id: number;
  results?: string;
  error?: string;
}

const setup = workerData as WorkerSetup;
const store = new CaStore([], setup.origin);
for (const ca of setup.cas) store.add(parseCertificate(ca.der), ca.source);
const checker = new DeviceChecker(store);
const port = parentPort!;
port.on("message", (m: CheckRequest) => {
  let answer: CheckResponse;
  try {
    const results = unpackBatch(m.batch).map((item) =>
      encodeResult(item, checkItem(checker, m.batch.station, item)),
    );
    answer = { id: m.id, results: joinResults(results) };
  } catch (e) {
    answer = { id: m.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(answer);
});
port.postMessage({ ready: true });
