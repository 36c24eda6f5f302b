// Devices of one import, checked and written in batches inside the import's transaction.
// Batches of BATCH manifests are checked (check-item.ts: decoding, EK and certificate checks)
// in worker threads or in line, then taken IN ORDER: looked up by their EKs (one query), and
// the new ones inserted with multi-row INSERTs while the next batch is checked. Only the
// batches in flight are held in memory; the report keeps counts, and the rejected devices up
// to MAX_LISTED_REJECTIONS.
//
// A device whose EKs are already registered:
// - all to devices of the same station → "already imported, unchanged" (counted in duplicates);
// - to a device of another station (or a tpm-endorsements entry) → rejected with "captured by
//   two stations: X and Y", and not imported twice;
// - some of them only → rejected, naming the device that holds them;
// - to a device earlier in the same file → rejected, naming that device.
// This is decided before the device's own checks count, so a re-imported device is a
// duplicate even when, say, its certificate has expired since.
import { ekOwners, insertDevicesBulk, type NewDevice } from "../store/devices.js";
import type { SqlRunner } from "../store/sql.js";
import type { CheckedItem, CheckInput } from "./check-item.js";
import { MAX_LISTED_REJECTIONS, type RejectedDevice } from "./report.js";

export const BATCH = 500;

export interface DeviceTally {
  count: number;
  accepted: number;
  duplicates: number;
  rejectedCount: number;
  rejected: RejectedDevice[];
  /** Ids of the devices inserted (first and last: ids are consecutive within one import). */
  firstId: number | null;
  lastId: number | null;
}

export interface DeviceBatchOptions {
  station: string;
  source: "bundle" | "manifest";
  /** Checks a batch of items (in a worker, or in line). */
  check: (items: CheckInput[]) => Promise<CheckedItem[]>;
  /** Batches checked ahead of the one being written (0: check, then write, one at a time). */
  ahead: number;
  now: number;
  /** The generation of the CA store `check` verifies EK certificates against (Registrar.caTrust). */
  caGeneration: number;
  /** Called after each batch with the devices seen so far. */
  onProgress?: (devices: number) => void;
}

interface InFlight {
  items: CheckInput[];
  results: Promise<CheckedItem[]>;
}

export class DeviceBatch {
  readonly tally: DeviceTally = {
    count: 0,
    accepted: 0,
    duplicates: 0,
    rejectedCount: 0,
    rejected: [],
    firstId: null,
    lastId: null,
  };
  #items: CheckInput[] = [];
  #checking: InFlight[] = [];
  /**
   * The previous batch's INSERTs, still running while this batch is looked up (the database
   * works on its own thread meanwhile), and its EKs, which the database may not show yet.
   */
  #writing: Promise<void> | undefined;
  #writingEks = new Map<string, string>();

  constructor(
    readonly tx: SqlRunner,
    readonly options: DeviceBatchOptions,
  ) {}

  async add(item: CheckInput): Promise<void> {
    this.#items.push(item);
    this.tally.count++;
    if (this.#items.length >= BATCH) {
      this.#dispatch();
      while (this.#checking.length > this.options.ahead) await this.#takeOldest();
    }
  }

  /** Checks and writes what is left, and waits for every write. */
  async finish(): Promise<void> {
    this.#dispatch();
    while (this.#checking.length > 0) await this.#takeOldest();
    await this.#writing;
    this.#writing = undefined;
    this.#writingEks = new Map();
  }

  /**
   * Waits for the checks and the write still running, ignoring their outcome: call it before
   * letting an error end the transaction, so that no INSERT runs after the ROLLBACK.
   */
  async drain(): Promise<void> {
    await Promise.all(this.#checking.map((c) => c.results.catch(() => undefined)));
    await this.#writing?.catch(() => undefined);
  }

  #dispatch(): void {
    const items = this.#items;
    this.#items = [];
    if (items.length === 0) return;
    const results = this.options.check(items);
    results.catch(() => undefined); // awaited in order by #takeOldest or drain
    this.#checking.push({ items, results });
  }

  #reject(index: number, serial: string | null, reason: string): void {
    this.tally.rejectedCount++;
    if (this.tally.rejected.length < MAX_LISTED_REJECTIONS)
      this.tally.rejected.push({ index, serial, reason });
  }

  async #takeOldest(): Promise<void> {
    const { items, results: pending } = this.#checking.shift()!;
    const results = await pending;
    const { station, source, now } = this.options;
    const owners = await ekOwners(
      this.tx,
      results.flatMap((r) => r.eks.map((ek) => ek.sha)),
    );
    const bytesOf = new Map(items.map((i) => [i.index, i.bytes]));
    /** EKs accepted earlier in this batch: serial of their device. */
    const inBatch = new Map<string, string>();
    const insert: NewDevice[] = [];
    for (const r of results) {
      const twin = r.eks
        .map((ek) => inBatch.get(ek.sha) ?? this.#writingEks.get(ek.sha))
        .find((s) => s !== undefined);
      if (twin !== undefined) {
        this.#reject(r.index, r.serial, `its EK is also the EK of device ${twin}, earlier in this file`);
        continue;
      }
      const held = r.eks
        .map((ek) => ({ ek, owner: owners.get(ek.sha) }))
        .filter((k) => k.owner !== undefined);
      const firstId = this.tally.firstId;
      const fromThisFile = held.find((k) => firstId !== null && (k.owner?.deviceId ?? 0) >= firstId);
      if (fromThisFile) {
        this.#reject(
          r.index,
          r.serial,
          `its EK is also the EK of device ${fromThisFile.owner?.serial}, earlier in this file`,
        );
        continue;
      }
      if (held.length > 0) {
        const other = held.find((k) => k.owner?.station !== station);
        if (other?.owner) {
          const by = other.owner.station ?? "a tpm-endorsements entry";
          this.#reject(
            r.index,
            r.serial,
            `captured by two stations: ${by} and ${station} (EK ${other.ek.template} ${other.ek.sha} is already registered to device ${other.owner.serial}, id ${other.owner.deviceId})`,
          );
        } else if (held.length === r.eks.length) {
          this.tally.duplicates++;
        } else {
          const first = held[0]!;
          this.#reject(
            r.index,
            r.serial,
            `EK ${first.ek.template} ${first.ek.sha} is already registered to device ${first.owner?.serial} (id ${first.owner?.deviceId}) but its other EKs are not: not imported`,
          );
        }
        continue;
      }
      if (r.problem !== null || r.device === null) {
        this.#reject(r.index, r.serial, r.problem ?? "not checked");
        continue;
      }
      for (const ek of r.eks) inBatch.set(ek.sha, r.device.serial);
      const d = r.device;
      insert.push({
        serial: d.serial,
        hwUuid: d.hwUuid,
        model: d.model,
        source,
        station,
        capturedAt: d.capturedAt,
        tpm: d.tpm,
        manifest: bytesOf.get(r.index) ?? null,
        comment: null,
        certsCaGeneration: this.options.caGeneration,
        eks: d.eks,
      });
    }
    await this.#writing;
    const writing = insertDevicesBulk(this.tx, insert, now).then((ids) => {
      if (ids.length === 0) return;
      this.tally.firstId ??= ids[0]!;
      this.tally.lastId = ids[ids.length - 1]!;
      this.tally.accepted += ids.length;
    });
    writing.catch(() => undefined); // awaited by the next batch, finish() or drain()
    this.#writing = writing;
    this.#writingEks = inBatch;
    this.options.onProgress?.(this.tally.count);
  }
}
