// TPM properties, handle lists, random bytes and persistence through our client, checked
// against what tpm2_getcap reports on the same TPM.
import { describe, expect, it } from "vitest";
import { createAk } from "../../shared/tpm/ak/ak.js";
import { listHandles, readTpmInfo } from "../../shared/tpm/capability.js";
import { EvictControl, GetRandom } from "../../shared/tpm/commands/index.js";
import { TPM_HT } from "../../shared/tpm/constants.js";
import { createEk, persistentEk } from "../../shared/tpm/ek/create-ek.js";
import { asHandle, TPM_RH } from "../../shared/tpm/types.js";
import { expectNoTransientHandles, persistentHandles, tpm2Text, useFleet } from "../harness/index.js";
import { withTpm } from "./client.js";

const fleet = useFleet();

/** `raw:` of one property in tpm2_getcap properties-fixed. */
function rawProperty(text: string, name: string): number {
  const m = new RegExp(`^${name}:\\n\\s+raw: 0x([0-9A-Fa-f]+)`, "m").exec(text);
  if (!m?.[1]) throw new Error(`${name} not in tpm2_getcap output`);
  return Number.parseInt(m[1], 16);
}

describe("TPM properties", () => {
  it("manufacturer, vendor string, firmware and NV buffer size agree with tpm2_getcap", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    const text = await tpm2Text(sim.tcti, "tpm2_getcap", ["properties-fixed"]);
    const info = await withTpm(sim, (tpm) => readTpmInfo(tpm));
    const ascii = (v: number) =>
      Buffer.from(v.toString(16).padStart(8, "0"), "hex")
        .toString("latin1")
        .replace(/[\0 ]+$/, "");
    expect(info.manufacturer).toBe(ascii(rawProperty(text, "TPM2_PT_MANUFACTURER")));
    expect(info.manufacturerId).toBe(
      `id:${rawProperty(text, "TPM2_PT_MANUFACTURER").toString(16).toUpperCase().padStart(8, "0")}`,
    );
    const vendor = [1, 2, 3, 4].map((i) => ascii(rawProperty(text, `TPM2_PT_VENDOR_STRING_${i}`))).join("");
    expect(info.vendor).toBe(vendor);
    const fw1 = rawProperty(text, "TPM2_PT_FIRMWARE_VERSION_1");
    const fw2 = rawProperty(text, "TPM2_PT_FIRMWARE_VERSION_2");
    expect(info.fw).toBe(`${fw1 >>> 16}.${fw1 & 0xffff}.${fw2 >>> 16}.${fw2 & 0xffff}`);
    expect(info.nvBufferMax).toBe(rawProperty(text, "TPM2_PT_NV_BUFFER_MAX"));
  });

  it("GetRandom returns the number of bytes asked for, and different bytes each time", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    const [a, b] = await withTpm(sim, async (tpm) => [
      (await tpm.run(GetRandom, { bytesRequested: 32 })).randomBytes,
      (await tpm.run(GetRandom, { bytesRequested: 32 })).randomBytes,
    ]);
    expect(a?.length).toBe(32);
    expect(Buffer.from(a ?? []).equals(Buffer.from(b ?? []))).toBe(false);
  });
});

describe("persistence", () => {
  it("EvictControl persists our EK where tpm2_getcap sees it, and evicts it again", async () => {
    const sim = await fleet.manufacture({ layout: "infineon" });
    const target = asHandle(0x81010002);
    const before = await persistentHandles(sim.tcti);
    expect(before).not.toContain(target);
    await withTpm(sim, async (tpm) => {
      const ek = await createEk(tpm, "L-2");
      await tpm.using(ek.handle, () =>
        tpm.run(EvictControl, { auth: TPM_RH.OWNER, objectHandle: ek.handle, persistentHandle: target }),
      );
      expect(await listHandles(tpm, TPM_HT.PERSISTENT)).toContain(target);
    });
    expect(await persistentHandles(sim.tcti)).toContain(target);
    await withTpm(sim, (tpm) =>
      tpm.run(EvictControl, { auth: TPM_RH.OWNER, objectHandle: target, persistentHandle: target }),
    );
    expect(await persistentHandles(sim.tcti)).toEqual(before);
    await expectNoTransientHandles(sim);
  });
});

describe("a persistent EK", () => {
  it("is used as it is when it matches its template, and can parent an AK", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    const ak = await withTpm(sim, async (tpm) => {
      const ek = await persistentEk(tpm, 0x81010016, "H-3");
      expect(ek.transient).toBe(false);
      return createAk(tpm, ek, "ecc");
    });
    expect(ak.public.type).toBe(0x0023);
    expect(await persistentHandles(sim.tcti)).toContain(0x81010016);
    await expectNoTransientHandles(sim);
  });

  it("is refused when the key at the handle is not of the template named", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    await expect(withTpm(sim, (tpm) => persistentEk(tpm, 0x81010001, "H-1"))).rejects.toThrow(
      /the key at 0x81010001 is not a H-1 EK: its attributes 0x300b2 \(expected 0x300f2\), authPolicy differ/,
    );
  });
});
