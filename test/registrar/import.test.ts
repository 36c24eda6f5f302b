// Bundle and manifest import (issue 5, DESIGN §5, §6), in process against a real registrar
// database: real harness TPMs captured as a factory station captures them, and software EKs
// with certificates from the test PKI (vendor CAs and the rogue CA). Every test asserts on the
// report and on the rows stored (or not stored).
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFile } from "../../cloud/import/import-file.js";
import { ImportError, type ImportReport } from "../../cloud/import/report.js";
import { initRegistrarKeys } from "../../cloud/registrar/keys.js";
import { deviceByEk, findDevices } from "../../cloud/store/devices.js";
import { addStation, retireStation } from "../../cloud/store/stations.js";
import { captureEvidence } from "../../factory/capture/index.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { decodeSequence } from "../../shared/formats/cbor.js";
import { readPublicKey, writeKeyPair } from "../../shared/formats/keys.js";
import { sealStream } from "../../shared/formats/seal.js";
import { runDir, type SimTpm, startTestRegistrar, type TestRegistrar, useFleet } from "../harness/index.js";
import { withTpm } from "../interop/client.js";
import {
  makeBundle,
  makeStation,
  payload,
  sha256hex,
  signManifestWith,
  softwareEk,
  type TestStation,
} from "./import-fixtures.js";

const fleet = useFleet({
  infineon: { layout: "infineon", vendor: "A", chain: true },
  nuvoton: { layout: "nuvoton", vendor: "B" },
});

let reg: TestRegistrar;
let keysDir: string;
let stationNo = 0;

beforeAll(async () => {
  reg = await startTestRegistrar();
  await reg.trustCaDir(fleet.pki.trustedCaDir);
  keysDir = await mkdtemp(join(runDir(), "import-keys-"));
}, 60_000);
afterAll(async () => {
  await reg?.close();
});

/** A fresh station, trusted by the registrar: each test its own chain. */
async function trustedStation(prefix = "line"): Promise<TestStation> {
  const s = await makeStation(keysDir, `${prefix}${++stationNo}`);
  await reg.db.write((tx) => addStation(tx, s.name, s.publicKey));
  return s;
}

const run = (bytes: Uint8Array | Uint8Array[]) =>
  importFile(reg.registrar, Array.isArray(bytes) ? bytes : [bytes], { actor: "test" });

async function refusal(bytes: Uint8Array | Uint8Array[]): Promise<ImportError> {
  const e = await run(bytes).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ImportError);
  return e as ImportError;
}

/** The station's devices as the store reads them back: the bundle is the one whose range holds the id. */
async function deviceRows(station: string) {
  return (await findDevices(reg.db, { station })).map((d) => ({
    id: d.id,
    serial: d.serial,
    source: d.source,
    bundle_digest: d.bundleDigest,
  }));
}

const bundleRows = (station: string) =>
  reg.db.all<{
    seq: number;
    chain_note: string | null;
    accepted: number;
    rejected: number;
    digest: Uint8Array;
  }>("SELECT seq, chain_note, accepted, rejected, digest FROM bundles WHERE station = ? ORDER BY seq", [
    station,
  ]);

/** n signed manifests of software devices with certs from vendor B's root. */
async function goodManifests(station: TestStation, n: number, prefix = "SN"): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const { ek } = await softwareEk(fleet.pki.vendorB.root);
    out.push(signManifestWith(station, payload(`${prefix}-${station.name}-${i}`, station.name, [ek])));
  }
  return out;
}

const digestOf = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

async function capture(sim: SimTpm) {
  const { store } = await loadCaDir(fleet.pki.trustedCaDir);
  return withTpm(sim, (tpm) => captureEvidence(tpm, { store }));
}

describe("bundles of real TPMs", () => {
  it("imports a bundle of two captured swtpm TPMs with all their EKs and certificates", async () => {
    const station = await trustedStation();
    const manifests: Uint8Array[] = [];
    const expectedEks: string[] = [];
    for (const [i, sim] of [fleet.tpm("infineon"), fleet.tpm("nuvoton")].entries()) {
      const captured = await capture(sim);
      expectedEks.push(...captured.eks.map((e) => e.ek_pub_sha256));
      manifests.push(
        signManifestWith(
          station,
          payload(
            `BOARD-${i}`,
            station.name,
            captured.eks.map((e) => ({ ...e })),
            undefined,
          ),
        ),
      );
    }
    const bundle = await makeBundle(station, { seq: 1, prev: null }, manifests);
    const report = await run(bundle);
    expect(report).toMatchObject({
      kind: "bundle",
      station: station.name,
      seq: 1,
      count: 2,
      accepted: 2,
      rejected: [],
      duplicates: 0,
      already_imported: false,
      chain: { status: "first" },
      digest: sha256hex(bundle),
    });
    const devices = await deviceRows(station.name);
    expect(devices.map((d) => [d.serial, d.source])).toEqual([
      ["BOARD-0", "bundle"],
      ["BOARD-1", "bundle"],
    ]);
    for (const d of devices) expect(Buffer.from(d.bundle_digest!).toString("hex")).toBe(sha256hex(bundle));
    const eks = (await findDevices(reg.db, { station: station.name })).flatMap((d) => d.eks);
    expect(eks.map((e) => e.ekPubSha256).sort()).toEqual([...expectedEks].sort());
    expect(eks.every((e) => e.cert !== null && e.cert.length > 0 && e.ekPub !== null)).toBe(true);
    const [row] = await bundleRows(station.name);
    expect(row).toMatchObject({ seq: 1, accepted: 2, rejected: 0 });
    const st = await reg.db.get<{ last_seq: number; last_digest: Uint8Array }>(
      "SELECT last_seq, last_digest FROM stations WHERE name = ?",
      [station.name],
    );
    expect(st?.last_seq).toBe(1);
    expect(Buffer.from(st!.last_digest).toString("hex")).toBe(sha256hex(bundle));
    const audit = await reg.db.all<{ action: string; subject: string }>(
      "SELECT action, subject FROM audit_log WHERE subject = ?",
      [`${station.name}#1`],
    );
    expect(audit).toEqual([{ action: "bundle.import", subject: `${station.name}#1` }]);
    expect(reg.registrar.metrics.importedDevices.get()).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe("whole-file refusals: nothing stored", () => {
  it("refuses a bundle with one flipped byte in an item, storing none of its devices", async () => {
    const station = await trustedStation();
    const bundle = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 5));
    const tampered = new Uint8Array(bundle);
    tampered[tampered.length - 10]! ^= 0x01; // inside the last item: the first four are read first
    const e = await refusal(tampered);
    expect(e.code).toBe("IMPORT_TAMPERED");
    expect(e.message).toMatch(/item 4 does not match the digest/);
    expect(await deviceRows(station.name)).toEqual([]);
    expect(await bundleRows(station.name)).toEqual([]);
    const st = await reg.db.get<{ last_seq: number | null }>("SELECT last_seq FROM stations WHERE name = ?", [
      station.name,
    ]);
    expect(st?.last_seq).toBeNull();
  });

  it("refuses a bundle whose header signature does not verify", async () => {
    const station = await trustedStation();
    const bundle = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1));
    // The header is the first item of the sequence; its last 64 bytes are the Ed25519 signature.
    const headerLength = decodeSequence(bundle, { allowTags: [18] })[0]!.bytes.length;
    const bad = new Uint8Array(bundle);
    bad[headerLength - 1]! ^= 0x80;
    const e = await refusal(bad);
    expect(e.code).toBe("IMPORT_BAD_SIGNATURE");
    expect(await deviceRows(station.name)).toEqual([]);
  });

  it("refuses a bundle signed by an unknown station kid", async () => {
    const stranger = await makeStation(keysDir, "stranger");
    const bundle = await makeBundle(stranger, { seq: 1, prev: null }, await goodManifests(stranger, 2));
    const e = await refusal(bundle);
    expect(e.code).toBe("IMPORT_UNKNOWN_STATION");
    expect(e.message).toMatch(/signed by an unknown station kid [0-9a-f]{32}/);
    expect(await deviceRows("stranger")).toEqual([]);
  });

  it("refuses a bundle of a retired station", async () => {
    const station = await trustedStation();
    const manifests = await goodManifests(station, 2);
    await reg.db.write((tx) => retireStation(tx, station.name));
    const e = await refusal(await makeBundle(station, { seq: 1, prev: null }, manifests));
    expect(e.code).toBe("IMPORT_STATION_RETIRED");
    expect(e.message).toContain(`station ${station.name}, which is retired`);
    expect(await deviceRows(station.name)).toEqual([]);
    expect(await bundleRows(station.name)).toEqual([]);
  });

  it("refuses a bundle whose header names another station than its signer", async () => {
    const station = await trustedStation();
    const other = await trustedStation();
    const bundle = await makeBundle(
      station,
      { seq: 1, prev: null, station: other.name },
      await goodManifests(station, 1),
    );
    const e = await refusal(bundle);
    expect(e.code).toBe("IMPORT_STATION_MISMATCH");
    expect(await deviceRows(station.name)).toEqual([]);
  });

  it("refuses a file that is not a manifest or bundle", async () => {
    const e = await refusal(new Uint8Array(randomBytes(64)));
    expect(e.code).toBe("IMPORT_MALFORMED");
  });
});

describe("sealed bundles", () => {
  let x25519Pub: Awaited<ReturnType<typeof readPublicKey>>;
  beforeAll(async () => {
    const dir = await mkdtemp(join(runDir(), "import-registrar-keys-"));
    const paths = await initRegistrarKeys(reg.db, dir);
    x25519Pub = await readPublicKey(paths.x25519Pub, "x25519");
  });

  it("opens a bundle sealed to the registrar and imports it", async () => {
    const station = await trustedStation();
    const plain = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 3));
    const sealed: Uint8Array[] = [];
    for await (const c of sealStream([plain], x25519Pub)) sealed.push(new Uint8Array(c));
    const report = await run(sealed);
    expect(report).toMatchObject({ kind: "sealed-bundle", accepted: 3, digest: sha256hex(plain) });
    expect((await deviceRows(station.name)).length).toBe(3);
  });

  it("refuses a bundle sealed to another registrar's key, naming both keys", async () => {
    const station = await trustedStation();
    const other = await writeKeyPair(await mkdtemp(join(runDir(), "other-")), "other.x25519", "x25519");
    const plain = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1));
    const sealed: Uint8Array[] = [];
    for await (const c of sealStream([plain], await readPublicKey(other.pubPath, "x25519")))
      sealed.push(new Uint8Array(c));
    const e = await refusal(sealed);
    expect(e.code).toBe("IMPORT_SEALED");
    expect(e.message).toMatch(/not to this registrar's key/);
    expect(await deviceRows(station.name)).toEqual([]);
  });
});

describe("the station chain", () => {
  it("says a re-imported bundle was already imported, and changes nothing", async () => {
    const station = await trustedStation();
    const bundle = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 3));
    await run(bundle);
    const devicesBefore = await deviceRows(station.name);
    const second = await run(bundle);
    expect(second.already_imported).toBe(true);
    expect(second.accepted).toBe(0);
    expect(second.summary).toMatch(/already imported on \d{4}-\d\d-\d\dT/);
    expect(await deviceRows(station.name)).toEqual(devicesBefore);
    expect((await bundleRows(station.name)).length).toBe(1);
  });

  it("reports bundles in order when each names the previous one's digest", async () => {
    const station = await trustedStation();
    const b1 = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1, "A"));
    const b2 = await makeBundle(
      station,
      { seq: 2, prev: digestOf(b1) },
      await goodManifests(station, 1, "B"),
    );
    expect((await run(b1)).chain?.status).toBe("first");
    // A manifest imported alone between the two: its device belongs to no bundle.
    const [alone] = await goodManifests(station, 1, "SOLO");
    expect((await run(alone!)).accepted).toBe(1);
    expect((await run(b2)).chain).toMatchObject({ status: "in-order" });
    const devices = await deviceRows(station.name);
    expect(
      devices.map((d) => [
        d.serial.split("-")[0],
        d.bundle_digest && Buffer.from(d.bundle_digest).toString("hex"),
      ]),
    ).toEqual([
      ["A", sha256hex(b1)],
      ["SOLO", null],
      ["B", sha256hex(b2)],
    ]);
  });

  it("reports a gap (seq 1 then 3), imports the devices and records the note", async () => {
    const station = await trustedStation();
    const b1 = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1, "A"));
    const b3 = await makeBundle(
      station,
      { seq: 3, prev: new Uint8Array(randomBytes(32)) },
      await goodManifests(station, 2, "C"),
    );
    await run(b1);
    const r = await run(b3);
    expect(r.chain).toEqual({ status: "gap", note: `bundle 2 of station ${station.name} is missing` });
    expect(r.accepted).toBe(2);
    expect(r.summary).toContain("is missing");
    const rows = await bundleRows(station.name);
    expect(rows.map((b) => [b.seq, b.chain_note])).toEqual([
      [1, `first bundle of station ${station.name}`],
      [3, `bundle 2 of station ${station.name} is missing`],
    ]);
    expect((await deviceRows(station.name)).length).toBe(3);
  });

  it("reports a fork (seq 2 whose prev is not bundle 1) and keeps the station's head", async () => {
    const station = await trustedStation();
    const b1 = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1, "A"));
    const forked = await makeBundle(
      station,
      { seq: 2, prev: new Uint8Array(randomBytes(32)) },
      await goodManifests(station, 1, "F"),
    );
    await run(b1);
    const r = await run(forked);
    expect(r.chain?.status).toBe("fork");
    expect(r.chain?.note).toMatch(/^fork: bundle 2 of station \S+ does not follow bundle 1/);
    expect(r.accepted).toBe(1);
    const st = await reg.db.get<{ last_seq: number; last_digest: Uint8Array }>(
      "SELECT last_seq, last_digest FROM stations WHERE name = ?",
      [station.name],
    );
    expect(st?.last_seq).toBe(1);
    expect(Buffer.from(st!.last_digest).toString("hex")).toBe(sha256hex(b1));
    // A second, different bundle 1 is a fork too.
    const again = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1, "G"));
    expect((await run(again)).chain?.status).toBe("fork");
  });
});

describe("per-device refusals", () => {
  it("imports the good devices of a bundle and lists the one whose pub is not its ek_pub_sha256", async () => {
    const station = await trustedStation();
    const good = await goodManifests(station, 3);
    const { ek } = await softwareEk(fleet.pki.vendorB.root);
    const bad = signManifestWith(
      station,
      payload("SN-BAD", station.name, [{ ...ek, ek_pub_sha256: sha256hex(randomBytes(8)) }]),
    );
    const r = await run(
      await makeBundle(station, { seq: 1, prev: null }, [good[0]!, bad, good[1]!, good[2]!]),
    );
    expect(r.accepted).toBe(3);
    expect(r.rejected_count).toBe(1);
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0]).toMatchObject({ index: 1, serial: "SN-BAD" });
    expect(r.rejected[0]?.reason).toMatch(/pub hashes to [0-9a-f]{64}, not to the manifest's ek_pub_sha256/);
    expect((await deviceRows(station.name)).map((d) => d.serial)).not.toContain("SN-BAD");
    expect((await bundleRows(station.name))[0]).toMatchObject({ accepted: 3, rejected: 1 });
  });

  it("rejects a device whose EK cert chains only to the rogue CA", async () => {
    const station = await trustedStation();
    const good = await goodManifests(station, 1);
    const rogue = await softwareEk(fleet.pki.rogue.root);
    const bad = signManifestWith(station, payload("SN-ROGUE", station.name, [rogue.ek]));
    const r = await run(await makeBundle(station, { seq: 1, prev: null }, [bad, good[0]!]));
    expect(r.accepted).toBe(1);
    expect(r.rejected[0]).toMatchObject({ index: 0, serial: "SN-ROGUE" });
    expect(r.rejected[0]?.reason).toContain("does not chain to a trusted manufacturer CA");
    const held = await reg.db.get("SELECT 1 AS x FROM device_eks WHERE lower(hex(ek_pub_sha256)) = ?", [
      rogue.ek.ek_pub_sha256,
    ]);
    expect(held).toBeUndefined();
  });

  it("rejects a device whose EK certificate certifies another key", async () => {
    const station = await trustedStation();
    const a = await softwareEk(fleet.pki.vendorB.root);
    const b = await softwareEk(fleet.pki.vendorB.root);
    const bad = signManifestWith(station, payload("SN-SWAP", station.name, [{ ...a.ek, cert: b.ek.cert }]));
    const r = await run(await makeBundle(station, { seq: 1, prev: null }, [bad]));
    expect(r.accepted).toBe(0);
    expect(r.rejected[0]?.reason).toMatch(/certifies another key/);
  });

  it("records an EK without a certificate as such", async () => {
    const station = await trustedStation();
    const { ek } = await softwareEk(null);
    const r = await run(
      await makeBundle(station, { seq: 1, prev: null }, [
        signManifestWith(station, payload("SN-NOCERT", station.name, [ek])),
      ]),
    );
    expect(r.accepted).toBe(1);
    const got = (await deviceByEk(reg.db, ek.ek_pub_sha256))?.eks[0];
    expect([got?.cert, got?.certNv]).toEqual([null, null]);
    expect(Buffer.from(got!.ekPub!)).toEqual(Buffer.from(ek.pub));
  });

  it("reports the same EK captured by two stations and does not import it twice", async () => {
    const first = await trustedStation();
    const second = await trustedStation();
    const { ek } = await softwareEk(fleet.pki.vendorB.root);
    await run(
      await makeBundle(first, { seq: 1, prev: null }, [
        signManifestWith(first, payload("SN-TWIN", first.name, [ek])),
      ]),
    );
    const r = await run(
      await makeBundle(second, { seq: 1, prev: null }, [
        signManifestWith(second, payload("SN-TWIN", second.name, [ek])),
      ]),
    );
    expect(r.accepted).toBe(0);
    expect(r.rejected[0]?.reason).toContain(`captured by two stations: ${first.name} and ${second.name}`);
    const owners = await reg.db.all("SELECT device_id FROM device_eks WHERE lower(hex(ek_pub_sha256)) = ?", [
      ek.ek_pub_sha256,
    ]);
    expect(owners).toHaveLength(1);
    expect(await deviceRows(second.name)).toEqual([]);
  });

  it("rejects a device whose EK appears earlier in the same bundle", async () => {
    const station = await trustedStation();
    const { ek } = await softwareEk(fleet.pki.vendorB.root);
    const r = await run(
      await makeBundle(station, { seq: 1, prev: null }, [
        signManifestWith(station, payload("SN-FIRST", station.name, [ek])),
        signManifestWith(station, payload("SN-CLONE", station.name, [ek])),
      ]),
    );
    expect(r.accepted).toBe(1);
    expect(r.rejected).toEqual([
      {
        index: 1,
        serial: "SN-CLONE",
        reason: "its EK is also the EK of device SN-FIRST, earlier in this file",
      },
    ]);
  });

  it("leaves a device already imported by the same station unchanged", async () => {
    const station = await trustedStation();
    const [m] = await goodManifests(station, 1);
    await run(await makeBundle(station, { seq: 1, prev: null }, [m!]));
    const first = (await bundleRows(station.name))[0]!;
    const r = await run(await makeBundle(station, { seq: 2, prev: new Uint8Array(first.digest) }, [m!]));
    expect(r).toMatchObject({ accepted: 0, duplicates: 1, rejected: [], chain: { status: "in-order" } });
    expect((await deviceRows(station.name)).length).toBe(1);
  });
});

describe("a manifest imported alone", () => {
  it("imports a manifest whose own signature verifies (source manifest)", async () => {
    const station = await trustedStation();
    const [m] = await goodManifests(station, 1, "SOLO");
    const r: ImportReport = await run(m!);
    expect(r).toMatchObject({ kind: "manifest", station: station.name, accepted: 1, chain: null, seq: null });
    const rows = await deviceRows(station.name);
    expect(rows.map((d) => [d.serial, d.source, d.bundle_digest])).toEqual([
      [`SOLO-${station.name}-0`, "manifest", null],
    ]);
    const again = await run(m!);
    expect(again).toMatchObject({ accepted: 0, duplicates: 1, already_imported: true });
  });

  it("refuses a manifest whose signature does not verify", async () => {
    const station = await trustedStation();
    const [m] = await goodManifests(station, 1, "SOLO");
    const bad = new Uint8Array(m!);
    bad[bad.length - 1]! ^= 0x01; // the last byte of the signature
    const e = await refusal(bad);
    expect(e.code).toBe("IMPORT_BAD_SIGNATURE");
    expect(await deviceRows(station.name)).toEqual([]);
  });

  it("refuses a manifest signed by an unknown station", async () => {
    const stranger = await makeStation(keysDir, "stranger2");
    const [m] = await goodManifests(stranger, 1, "SOLO");
    const e = await refusal(m!);
    expect(e.code).toBe("IMPORT_UNKNOWN_STATION");
  });
});

describe("POST /api/v1/bundles", () => {
  const post = (body: Uint8Array, headers: Record<string, string>) =>
    fetch(`${reg.url}/api/v1/bundles`, {
      method: "POST",
      headers: { "content-type": "application/cbor", ...headers },
      body: Buffer.from(body),
    });

  it("imports a bundle with a bundles:import token and answers the report", async () => {
    const station = await trustedStation();
    const bundle = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 2));
    const res = await post(bundle, { authorization: `Bearer ${await reg.token(["bundles:import"])}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { code: number; results: ImportReport };
    expect(body.code).toBe(200);
    expect(body.results).toMatchObject({ kind: "bundle", accepted: 2, station: station.name });
    expect((await deviceRows(station.name)).length).toBe(2);
  });

  it("imports a single manifest sent alone, checking its own signature", async () => {
    const station = await trustedStation();
    const [m] = await goodManifests(station, 1, "API-SOLO");
    const res = await post(m!, { authorization: `Bearer ${await reg.token(["bundles:import"])}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: ImportReport };
    expect(body.results).toMatchObject({ kind: "manifest", accepted: 1, station: station.name });
    expect((await deviceRows(station.name)).map((d) => d.source)).toEqual(["manifest"]);
  });

  it("answers 401 without a token and 403 with a token lacking bundles:import", async () => {
    const station = await trustedStation();
    const bundle = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 1));
    const none = await post(bundle, {});
    expect(none.status).toBe(401);
    const wrong = await post(bundle, { authorization: `Bearer ${await reg.token(["devices:read"])}` });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { status: string }).status).toMatch(/lacks scope bundles:import/);
    expect(await deviceRows(station.name)).toEqual([]);
  });

  it("answers 422 for a tampered bundle and 403 for an unknown station, with the reason", async () => {
    const token = await reg.token(["bundles:import"]);
    const station = await trustedStation();
    const bundle = await makeBundle(station, { seq: 1, prev: null }, await goodManifests(station, 2));
    const tampered = new Uint8Array(bundle);
    tampered[tampered.length - 5]! ^= 0x01;
    const t = await post(tampered, { authorization: `Bearer ${token}` });
    expect(t.status).toBe(422);
    expect((await t.json()) as object).toMatchObject({ results: { error: "IMPORT_TAMPERED" } });
    const stranger = await makeStation(keysDir, "stranger3");
    const u = await post(
      await makeBundle(stranger, { seq: 1, prev: null }, await goodManifests(stranger, 1)),
      {
        authorization: `Bearer ${token}`,
      },
    );
    expect(u.status).toBe(403);
    expect(((await u.json()) as { status: string }).status).toMatch(/unknown station kid/);
    expect(await deviceRows(station.name)).toEqual([]);
  });

  it("answers 415 for a body that is not application/cbor", async () => {
    const res = await fetch(`${reg.url}/api/v1/bundles`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await reg.token(["bundles:import"])}`,
      },
      body: "{}",
    });
    expect(res.status).toBe(415);
  });

  it("answers 413 for a bundle over maxBundleBytes, and keeps serving", async () => {
    const small = await startTestRegistrar({ config: { maxBundleBytes: 4096 } });
    try {
      const token = await small.token(["bundles:import"]);
      const s = await makeStation(keysDir, "big");
      await small.db.write((tx) => addStation(tx, s.name, s.publicKey));
      const bundle = await makeBundle(s, { seq: 1, prev: null }, await goodManifests(s, 8));
      expect(bundle.length).toBeGreaterThan(4096);
      const res = await fetch(`${small.url}/api/v1/bundles`, {
        method: "POST",
        headers: { "content-type": "application/cbor", authorization: `Bearer ${token}` },
        body: Buffer.from(bundle),
      });
      expect(res.status).toBe(413);
      expect((await res.json()) as object).toMatchObject({ results: { error: "BODY_TOO_LARGE" } });
      // Streamed without a Content-Length: refused while reading.
      const chunks = [bundle.subarray(0, 3000), bundle.subarray(3000)];
      const streamed = await fetch(`${small.url}/api/v1/bundles`, {
        method: "POST",
        headers: { "content-type": "application/cbor", authorization: `Bearer ${token}` },
        body: new ReadableStream({
          pull(controller) {
            const c = chunks.shift();
            if (c) controller.enqueue(c);
            else controller.close();
          },
        }),
        duplex: "half",
      } as RequestInit);
      expect(streamed.status).toBe(413);
      expect(await small.db.all("SELECT id FROM devices")).toEqual([]);
      expect((await fetch(`${small.url}/healthz`)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});
