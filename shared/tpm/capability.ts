// Reading TPM properties and handle lists (Part 3 §30.2), following `moreData` across calls.
import { GetCapability } from "./commands/get-capability.js";
import { TPM_CAP, TPM_PT } from "./constants.js";
import type { Tpm } from "./tpm.js";
import { asHandle, type Handle } from "./types.js";

/** All handles of one type (the top byte: 0x01 NV, 0x80 transient, 0x81 persistent…). */
export async function listHandles(tpm: Tpm, handleType: number): Promise<Handle[]> {
  const out: Handle[] = [];
  const first = handleType * 0x1000000;
  let next = first;
  // Bounded: a TPM that keeps saying moreData without progress must not loop us forever.
  for (let calls = 0; calls < 64; calls++) {
    const { moreData, capabilityData } = await tpm.run(GetCapability, {
      capability: TPM_CAP.HANDLES,
      property: next,
      propertyCount: 256,
    });
    if (capabilityData.capability !== TPM_CAP.HANDLES) break;
    const handles = capabilityData.data.filter((h) => h >>> 24 === handleType && h >= next);
    out.push(...handles.map(asHandle));
    const last = handles.at(-1);
    if (!moreData || last === undefined) break;
    next = last + 1;
  }
  return out;
}

/** TPM properties from `first` on, as a map property → value. */
export async function readProperties(tpm: Tpm, first: number, count: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let next = first;
  for (let calls = 0; calls < 16 && next < first + count; calls++) {
    const { moreData, capabilityData } = await tpm.run(GetCapability, {
      capability: TPM_CAP.TPM_PROPERTIES,
      property: next,
      propertyCount: first + count - next,
    });
    if (capabilityData.capability !== TPM_CAP.TPM_PROPERTIES) break;
    for (const { property, value } of capabilityData.data) out.set(property, value);
    const last = capabilityData.data.at(-1);
    if (!moreData || last === undefined || last.property < next) break;
    next = last.property + 1;
  }
  return out;
}

export interface TpmInfo {
  /** TPM_PT_MANUFACTURER as its four ASCII characters, e.g. "IFX", "NTC", "IBM". */
  manufacturer: string;
  /** The manufacturer id as tpm2-tools and EK certificates write it: "id:49465800". */
  manufacturerId: string;
  /** TPM_PT_VENDOR_STRING_1..4 concatenated, trailing NULs removed. */
  vendor: string;
  /** Firmware version as "major.minor.build.patch" from TPM_PT_FIRMWARE_VERSION_1/2. */
  fw: string;
  /** Specification family, level and revision, e.g. "2.0 level 0 revision 164". */
  spec: string;
  /** The largest NV_Read this TPM accepts (TPM_PT_NV_BUFFER_MAX). */
  nvBufferMax: number;
  /** PCR banks with at least one PCR allocated, as TPM_ALG ids. */
  pcrBanks: number[];
}

const ascii = (v: number) =>
  String.fromCharCode((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff).replace(
    /[\0\s]+$/,
    "",
  );

export async function readTpmInfo(tpm: Tpm): Promise<TpmInfo> {
  const p = await readProperties(tpm, TPM_PT.FAMILY_INDICATOR, 0x2d);
  const get = (k: number) => p.get(k) ?? 0;
  const fw1 = get(TPM_PT.FIRMWARE_VERSION_1);
  const fw2 = get(TPM_PT.FIRMWARE_VERSION_2);
  const { capabilityData } = await tpm.run(GetCapability, {
    capability: TPM_CAP.PCRS,
    property: 0,
    propertyCount: 16,
  });
  const pcrBanks =
    capabilityData.capability === TPM_CAP.PCRS
      ? capabilityData.data.filter((s) => s.pcrSelect.some((b) => b !== 0)).map((s) => s.hash)
      : [];
  return {
    manufacturer: ascii(get(TPM_PT.MANUFACTURER)),
    manufacturerId: `id:${get(TPM_PT.MANUFACTURER).toString(16).toUpperCase().padStart(8, "0")}`,
    vendor: [TPM_PT.VENDOR_STRING_1, TPM_PT.VENDOR_STRING_2, TPM_PT.VENDOR_STRING_3, TPM_PT.VENDOR_STRING_4]
      .map((k) => ascii(get(k)))
      .join(""),
    fw: `${fw1 >>> 16}.${fw1 & 0xffff}.${fw2 >>> 16}.${fw2 & 0xffff}`,
    spec: `${ascii(get(TPM_PT.FAMILY_INDICATOR))} level ${get(TPM_PT.LEVEL)} revision ${get(TPM_PT.REVISION)}`,
    nvBufferMax: get(TPM_PT.NV_BUFFER_MAX) || 512,
    pcrBanks,
  };
}
