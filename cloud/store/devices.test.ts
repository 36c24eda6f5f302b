// insertDevicesBulk on a real database: every column of every device and EK reads back as it
// went in, across parts of BULK_ROWS devices and runs of different shared columns.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BULK_ROWS,
  deviceByEk,
  deviceEvents,
  findDevices,
  getDevice,
  insertDevicesBulk,
  type NewDevice,
} from "./devices.js";
import { MIGRATIONS } from "./migrations.js";
import { SqliteDatabase } from "./sqlite-database.js";
import { addStation } from "./stations.js";

let dir: string;
let db: SqliteDatabase;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "registrar-devices-"));
  db = await SqliteDatabase.open(join(dir, "r.db"));
  await db.write(async (tx) => {
    await addStation(tx, "line-a", new Uint8Array(randomBytes(32)));
    await addStation(tx, "line-b", new Uint8Array(randomBytes(32)));
  });
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

const bytes = (n: number) => new Uint8Array(randomBytes(n));

/** Device `i`: the shapes an import and a tpm-endorsements entry make, varied by `i`. */
function device(i: number, station: string | null): NewDevice {
  const manifest = i % 7 === 3 ? null : bytes(900 + (i % 50));
  const twoEks = i % 5 === 0;
  return {
    serial: i % 11 === 0 ? `Gerät-ü-😀-${i}` : `SN-${i}`,
    hwUuid: i % 3 === 0 ? null : `uuid-${i}`,
    model: i % 4 === 0 ? null : 'board "rev\\2"',
    source: station === null ? "endorsement" : "bundle",
    station,
    capturedAt: i % 6 === 0 ? null : 1_790_000_000 + i,
    tpm: { manufacturer: "IFX", vendor: i % 2 ? null : "SLB9672", fw: "16.13" },
    manifest,
    comment: i % 9 === 0 ? "from a test" : null,
    certsCaGeneration: station === null ? null : 4,
    eks: [
      {
        ekPubSha256: randomBytes(32).toString("hex"),
        alg: "rsa2048",
        template: "L-1",
        // Views into the manifest, as an import's rows are.
        ekPub: manifest ? manifest.subarray(10, 290) : bytes(280),
        cert: manifest && i % 8 !== 1 ? manifest.subarray(300, 880) : null,
        certNv: 0x01c00002,
      },
      ...(twoEks
        ? [
            {
              ekPubSha256: randomBytes(32).toString("hex"),
              alg: "ecc_nist_p256",
              template: "L-2",
              ekPub: bytes(120),
              cert: i % 10 === 0 ? null : bytes(0),
              certNv: null,
            },
          ]
        : []),
    ],
  };
}

describe("insertDevicesBulk", () => {
  it("stores every column of every device and EK as given, with consecutive ids and one event each", async () => {
    // Three runs (shared columns change), the first two longer than one part.
    const devices = [
      ...Array.from({ length: BULK_ROWS * 2 + 7 }, (_, i) => device(i, "line-a")),
      ...Array.from({ length: BULK_ROWS + 1 }, (_, i) => device(2000 + i, "line-b")),
      ...Array.from({ length: 3 }, (_, i) => device(4000 + i, null)),
    ];
    const now = 1_800_000_000_000;
    const ids = await db.write((tx) => insertDevicesBulk(tx, devices, now));
    expect(ids).toEqual(devices.map((_, i) => ids[0]! + i));

    for (const [k, want] of devices.entries()) {
      const got = await getDevice(db, ids[k]!);
      expect(got, `device ${k}`).toBeDefined();
      expect({
        serial: got!.serial,
        hwUuid: got!.hwUuid,
        model: got!.model,
        source: got!.source,
        station: got!.station,
        capturedAt: got!.capturedAt,
        tpm: got!.tpm,
        comment: got!.comment,
        state: got!.state,
        certsCaGeneration: got!.certsCaGeneration,
        createdAt: got!.createdAt,
      }).toEqual({
        serial: want.serial,
        hwUuid: want.hwUuid,
        model: want.model,
        source: want.source,
        station: want.station,
        capturedAt: want.capturedAt,
        tpm: want.tpm,
        comment: want.comment,
        state: "pre-registered",
        certsCaGeneration: want.certsCaGeneration,
        createdAt: now / 1000,
      });
      expect(got!.manifest === null ? null : Buffer.from(got!.manifest)).toEqual(
        want.manifest === null ? null : Buffer.from(want.manifest),
      );
      expect(got!.eks.length).toBe(want.eks.length);
      for (const [e, ek] of want.eks.entries()) {
        const g = got!.eks[e]!;
        expect(g.ekPubSha256).toBe(ek.ekPubSha256);
        expect([g.alg, g.template, g.certNv]).toEqual([ek.alg, ek.template, ek.certNv]);
        expect(Buffer.from(g.ekPub!)).toEqual(Buffer.from(ek.ekPub!));
        expect(g.cert === null ? null : Buffer.from(g.cert)).toEqual(
          ek.cert === null ? null : Buffer.from(ek.cert),
        );
      }
    }

    const last = devices.length - 1;
    expect((await deviceByEk(db, devices[last]!.eks[0]!.ekPubSha256))?.id).toBe(ids[last]);
    const events = await deviceEvents(db, ids[BULK_ROWS + 3]!);
    expect(events.map((e) => [e.event, e.at, e.detail])).toEqual([
      ["pre-registered", now / 1000, { source: "bundle", station: "line-a" }],
    ]);
  }, 60_000);

  it("names an EK's bytes by where they lie in the device's manifest instead of storing them twice", async () => {
    const manifest = bytes(1200);
    const inManifest: NewDevice = {
      ...device(1, "line-a"),
      manifest,
      eks: [
        {
          ekPubSha256: randomBytes(32).toString("hex"),
          alg: "ecc-p256",
          template: "L-2",
          ekPub: manifest.subarray(40, 162),
          cert: manifest.subarray(170, 916),
          certNv: 0x01c0000a,
        },
      ],
    };
    // Equal bytes that are not a view of the manifest (a copy) are stored in the row.
    const copied: NewDevice = {
      ...inManifest,
      serial: "SN-copied",
      eks: [
        {
          ...inManifest.eks[0]!,
          ekPubSha256: randomBytes(32).toString("hex"),
          cert: manifest.slice(170, 916),
        },
      ],
    };
    const [a, b] = await db.write((tx) => insertDevicesBulk(tx, [inManifest, copied]));
    const rows = await db.all<Record<string, unknown>>(
      `SELECT device_id, ek_pub IS NULL AS pub_null, cert IS NULL AS cert_null, pub_at, pub_len, cert_at, cert_len
         FROM device_eks ORDER BY device_id`,
    );
    expect(rows).toEqual([
      { device_id: a, pub_null: 1, cert_null: 1, pub_at: 41, pub_len: 122, cert_at: 171, cert_len: 746 },
      { device_id: b, pub_null: 1, cert_null: 0, pub_at: 41, pub_len: 122, cert_at: null, cert_len: null },
    ]);
    for (const id of [a!, b!]) {
      const got = await getDevice(db, id);
      expect(Buffer.from(got!.eks[0]!.ekPub!)).toEqual(Buffer.from(manifest.subarray(40, 162)));
      expect(Buffer.from(got!.eks[0]!.cert!)).toEqual(Buffer.from(manifest.subarray(170, 916)));
    }
    // The registration path's read, without the manifest in its result, still gets the EK's bytes.
    const byEk = await deviceByEk(db, inManifest.eks[0]!.ekPubSha256, { manifest: false });
    expect(byEk?.manifest).toBeNull();
    expect(Buffer.from(byEk!.eks[0]!.cert!)).toEqual(Buffer.from(manifest.subarray(170, 916)));
    expect((await findDevices(db, { station: "line-a" }))[0]!.eks[0]!.ekPub!.length).toBe(122);
  });

  it("inserts nothing when an EK is already taken (the statement fails as a whole)", async () => {
    const first = device(1, "line-a");
    await db.write((tx) => insertDevicesBulk(tx, [first]));
    const again = { ...device(2, "line-a"), eks: first.eks };
    await expect(db.write((tx) => insertDevicesBulk(tx, [device(3, "line-a"), again]))).rejects.toThrow(
      /UNIQUE constraint failed: device_eks.ek_pub_sha256/,
    );
    const count = await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM devices");
    expect(count?.n).toBe(1);
  });
});

describe("migration 3 (a bundle's devices as a range of ids)", () => {
  it("moves each device's bundle digest to its bundle's range, and reads it back the same", async () => {
    await db.close();
    const path = join(dir, "v2.db");
    db = await SqliteDatabase.open(path, { migrations: MIGRATIONS.slice(0, 2) });
    const digest = (n: number) => new Uint8Array(32).fill(n);
    // Bundle 1: devices 1–3; device 4 from a tpm-endorsements entry; bundle 2: devices 5–6;
    // bundle 3: no device accepted.
    const bundleOf = [1, 1, 1, null, 2, 2];
    await db.write(async (tx) => {
      await addStation(tx, "line-c", new Uint8Array(randomBytes(32)));
      for (const n of [1, 2, 3])
        await tx.run(
          `INSERT INTO bundles (digest, bundle_id, station, seq, created_at, count, accepted, rejected, imported_at)
           VALUES (?, ?, 'line-c', ?, 0, 0, 0, 0, 0)`,
          [digest(n), `b${n}`, n],
        );
      for (const [i, b] of bundleOf.entries())
        await tx.run(
          `INSERT INTO devices (id, serial, source, station, bundle_digest, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'pre-registered', 0, 0)`,
          [
            i + 1,
            `SN-${i + 1}`,
            b === null ? "endorsement" : "bundle",
            b === null ? null : "line-c",
            b && digest(b),
          ],
        );
    });
    await db.close();
    db = await SqliteDatabase.open(path);

    for (const [i, b] of bundleOf.entries()) {
      const got = await getDevice(db, i + 1);
      expect(got?.bundleDigest ?? null, `device ${i + 1}`).toEqual(b === null ? null : digest(b));
    }
    expect((await findDevices(db, { station: "line-c" })).map((d) => d.bundleDigest?.[0] ?? null)).toEqual([
      1, 1, 1, 2, 2,
    ]);
    // The migration leaves the old column as it was (no rewrite of every imported row), and
    // reads no longer look at it: the ranges alone say which bundle a device came from.
    expect(await db.all("SELECT id FROM devices WHERE bundle_digest IS NULL")).toEqual([{ id: 4 }]);
    await db.write((tx) => tx.run("UPDATE devices SET bundle_digest = NULL WHERE id = 2"));
    expect((await getDevice(db, 2))?.bundleDigest).toEqual(digest(1));
    expect(await db.all("SELECT seq, first_device, last_device FROM bundles ORDER BY seq")).toEqual([
      { seq: 1, first_device: 1, last_device: 3 },
      { seq: 2, first_device: 5, last_device: 6 },
      { seq: 3, first_device: null, last_device: null },
    ]);
  });
});

describe("migration 4 (imported EK bytes read from the manifest)", () => {
  it("reads the EKs of earlier imports, stored in their rows, as before", async () => {
    await db.close();
    const path = join(dir, "v3.db");
    db = await SqliteDatabase.open(path, { migrations: MIGRATIONS.slice(0, 3) });
    const manifest = bytes(600);
    const hash = randomBytes(32);
    await db.write(async (tx) => {
      await addStation(tx, "line-a", new Uint8Array(randomBytes(32)));
      await tx.run(
        `INSERT INTO devices (id, serial, source, station, manifest, state, created_at, updated_at)
         VALUES (1, 'SN-old', 'bundle', 'line-a', ?, 'pre-registered', 0, 0)`,
        [manifest],
      );
      await tx.run(
        "INSERT INTO device_eks (ek_pub_sha256, device_id, alg, template, ek_pub, cert, cert_nv) VALUES (?, 1, 'rsa2048', 'L-1', ?, ?, 1)",
        [new Uint8Array(hash), manifest.subarray(10, 290), manifest.subarray(300, 590)],
      );
    });
    await db.close();
    db = await SqliteDatabase.open(path);
    const got = await deviceByEk(db, hash.toString("hex"));
    expect(Buffer.from(got!.eks[0]!.ekPub!)).toEqual(Buffer.from(manifest.subarray(10, 290)));
    expect(Buffer.from(got!.eks[0]!.cert!)).toEqual(Buffer.from(manifest.subarray(300, 590)));
    expect(await db.get("SELECT pub_at, cert_at FROM device_eks")).toEqual({ pub_at: null, cert_at: null });
  });
});
