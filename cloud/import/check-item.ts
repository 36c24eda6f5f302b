// One manifest item of an import, decoded and checked on its own (device-checks.ts): the CPU
// work of an import, done in worker threads for large bundles (check-pool.ts) or in line.
// What needs the database (is the EK already registered?) is decided afterwards, in order,
// by device-batch.ts.
import { type ManifestPayload, readManifestUnverified } from "../../shared/formats/manifest.js";
import type { DeviceEk } from "../store/devices.js";
import type { DeviceChecker } from "./device-checks.js";

export interface CheckInput {
  index: number;
  /** The encoded manifest (COSE_Sign1). */
  bytes: Uint8Array;
  /** Its payload when the caller already verified and decoded it (a manifest imported alone). */
  payload?: ManifestPayload;
}

/** What the database needs of a device that passed its checks. */
export interface CheckedDevice {
  serial: string;
  hwUuid: string | null;
  model: string | null;
  capturedAt: number;
  tpm: { manufacturer: string; vendor: string; fw: string };
  eks: DeviceEk[];
}

export interface CheckedItem {
  index: number;
  /** null when the manifest could not be decoded. */
  serial: string | null;
  /** The EKs the manifest lists (template, ek_pub_sha256), when it could be decoded. */
  eks: { template: string; sha: string }[];
  /** Why the device is refused, or null. */
  problem: string | null;
  /** Set exactly when problem is null. */
  device: CheckedDevice | null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export function checkItem(checker: DeviceChecker, station: string, item: CheckInput): CheckedItem {
  let p: ManifestPayload;
  try {
    // Views, not copies, of the item's bytes: they are kept unchanged until the device is
    // written (device-batch.ts inserts them), and the EK rows of an accepted device are views.
    p = item.payload ?? readManifestUnverified(item.bytes, { byteStringViews: true }).payload;
  } catch (e) {
    return {
      index: item.index,
      serial: null,
      eks: [],
      problem: `the manifest cannot be read: ${message(e)}`,
      device: null,
    };
  }
  if (p.station !== station)
    return {
      index: item.index,
      serial: p.serial,
      eks: [],
      problem: `the manifest names station "${p.station}" but the file is signed by station "${station}"`,
      device: null,
    };
  const eks = p.eks.map((ek) => ({ template: ek.template, sha: ek.ek_pub_sha256 }));
  const checked = checker.check(p);
  if (!checked.ok) return { index: item.index, serial: p.serial, eks, problem: checked.reason, device: null };
  return {
    index: item.index,
    serial: p.serial,
    eks,
    problem: null,
    device: {
      serial: p.serial,
      hwUuid: p.hw_uuid,
      model: p.model,
      capturedAt: p.captured_at,
      tpm: { manufacturer: p.tpm.manufacturer, vendor: p.tpm.vendor, fw: p.tpm.fw },
      eks: checked.eks,
    },
  };
}
