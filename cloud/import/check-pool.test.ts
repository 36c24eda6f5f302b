// The worker threads that check large bundles must reach exactly the verdicts of the in-line
// checks, in the same order: accepted devices with the same EK rows, refused ones with the
// same reasons.
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { createTestPki, runDir, type TestPki } from "../../test/harness/index.js";
import {
  makeStation,
  payload,
  signManifestWith,
  softwareEk,
  type TestStation,
} from "../../test/registrar/import-fixtures.js";
import { type CheckInput, checkItem } from "./check-item.js";
import { type CheckPool, startCheckPool } from "./check-pool.js";
import { DeviceChecker } from "./device-checks.js";

let dir: string;
let pki: TestPki;
let station: TestStation;
let pool: CheckPool | undefined;
let items: CheckInput[];

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "check-pool-"));
  pki = await createTestPki(join(dir, "pki"));
  station = await makeStation(dir, "poolline");
  const good = await softwareEk(pki.vendorB.root);
  const rogue = await softwareEk(pki.rogue.root);
  const noCert = await softwareEk(null);
  const mismatched = await softwareEk(pki.vendorA.eccIntermediate);
  items = [
    payload("GOOD", station.name, [good.ek]),
    payload("ROGUE", station.name, [rogue.ek]),
    payload("NOCERT", station.name, [noCert.ek]),
    payload("SWAPPED", station.name, [{ ...mismatched.ek, cert: good.ek.cert }]),
    payload("OTHER-STATION", "elsewhere", [good.ek]),
  ].map((p, index) => ({ index, bytes: signManifestWith(station, p) }));
  items.push({ index: items.length, bytes: new Uint8Array([1, 2, 3]) });
  pool = await startCheckPool((await loadCaDir(pki.trustedCaDir)).store, 2);
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("check pool", () => {
  it("starts its workers from the TypeScript sources", () => {
    expect(pool?.size).toBe(2);
  });

  it("gives the in-line verdicts, in order", async () => {
    const store = (await loadCaDir(pki.trustedCaDir)).store;
    const inline = items.map((item) => checkItem(new DeviceChecker(store), station.name, item));
    const pooled = await pool!.check(station.name, items);
    expect(pooled).toEqual(inline);
    expect(pooled.map((r) => [r.serial, r.problem === null])).toEqual([
      ["GOOD", true],
      ["ROGUE", false],
      ["NOCERT", true],
      ["SWAPPED", false],
      ["OTHER-STATION", false],
      [null, false],
    ]);
    expect(pooled[1]?.problem).toContain("does not chain to a trusted manufacturer CA");
    expect(pooled[2]?.device?.eks[0]?.cert).toBeNull();
  });

  it("spreads concurrent batches over its workers and answers each", async () => {
    const results = await Promise.all([1, 2, 3, 4].map(() => pool!.check(station.name, items.slice(0, 2))));
    for (const r of results) expect(r.map((x) => x.serial)).toEqual(["GOOD", "ROGUE"]);
  });
});
