// What the TPM keeps in NV about its EKs: certificates (with padding after the DER, and chain
// certificates back to back), and the EK nonce and template that override the default
// template (TCG EK Credential Profile §2.2.1.5). Expected bytes come from the harness (which
// wrote them) and from tpm2-tools.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEk } from "../../shared/tpm/ek/create-ek.js";
import { readEkCertificates } from "../../shared/tpm/ek/ek-certs.js";
import { expectNoTransientHandles, runDir, type SimTpm, tpm2, useFleet } from "../harness/index.js";
import { toolsFlushTransient, toolsName, withTpm } from "./client.js";

const fleet = useFleet();
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const NV_ATTRS = "ppwrite|ppread|ownerread|authread|no_da|platformcreate|writedefine";
const LOW_ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|adminwithpolicy|restricted|decrypt";
// PolicyA-SHA256 as the TCG EK Credential Profile publishes it.
const POLICY_A_SHA256 = "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa";

async function ourL1(sim: SimTpm) {
  return withTpm(sim, async (tpm) => {
    const ek = await createEk(tpm, "L-1");
    await tpm.flush(ek.handle);
    return ek;
  });
}

/** Defines an NV index in the platform hierarchy (open after swtpm_setup) and writes `data`. */
async function writeNv(sim: SimTpm, dir: string, index: number, data: Uint8Array) {
  await writeFile(join(dir, "nv.bin"), data);
  const idx = `0x${index.toString(16)}`;
  await tpm2(sim.tcti, "tpm2_nvdefine", [idx, "-C", "p", "-s", String(data.length), "-a", NV_ATTRS], {
    cwd: dir,
  });
  await tpm2(sim.tcti, "tpm2_nvwrite", [idx, "-C", "p", "-i", "nv.bin"], { cwd: dir });
}

describe("EK certificates in NV", () => {
  it("are read whole, in chunks, without the padding after the DER", async () => {
    const sim = await fleet.manufacture({ layout: "infineon", nvPadding: 300 });
    const { certs } = await withTpm(sim, (tpm) => readEkCertificates(tpm, { chunkSize: 128 }));
    expect(certs.map((c) => c.nvIndex).sort()).toEqual([0x01c00002, 0x01c0000a]);
    for (const ek of sim.eks) {
      const got = certs.find((c) => c.nvIndex === ek.nvIndex);
      expect(got?.raw.length).toBe((ek.certDer?.length ?? 0) + 300);
      expect(hex(got?.der ?? new Uint8Array())).toBe(hex(ek.certDer ?? new Uint8Array()));
    }
  });

  it("include the chain certificates stored back to back at 0x01C00100", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton", chain: true });
    const { chain } = await withTpm(sim, (tpm) => readEkCertificates(tpm));
    expect(chain.length).toBeGreaterThan(0);
    expect(hex(Buffer.concat(chain))).toBe(hex(sim.chain?.der ?? new Uint8Array()));
  });

  it("are simply absent where the TPM has none", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton", defect: "missing-rsa-cert" });
    const { certs } = await withTpm(sim, (tpm) => readEkCertificates(tpm));
    expect(certs.map((c) => c.template.name)).toEqual(["H-3"]);
  });
});

describe("an EK nonce or template in NV", () => {
  it("the L-1 nonce at 0x01C00003 fills the start of unique, as tpm2_createprimary -u does", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    const dir = await mkdtemp(join(runDir(), "nonce-"));
    const nonce = Buffer.from("factory-nonce-0123456789abcdef", "ascii");
    const unique = Buffer.concat([nonce, Buffer.alloc(256 - nonce.length)]);
    await writeFile(join(dir, "policyA.bin"), Buffer.from(POLICY_A_SHA256, "hex"));
    const args = ["-C", "e", "-g", "sha256", "-G", "rsa2048:aes128cfb", "-a", LOW_ATTRS, "-L", "policyA.bin"];
    await tpm2(sim.tcti, "tpm2_createprimary", [...args, "-u", "-", "-c", "ek.ctx"], {
      cwd: dir,
      input: unique,
    });
    const expected = await toolsName(sim, "ek.ctx", dir);
    await toolsFlushTransient(sim, dir);

    await writeNv(sim, dir, 0x01c00003, nonce);
    const ek = await ourL1(sim);
    expect(ek.nvNonce).toBe(true);
    expect(hex(ek.name)).toBe(expected);
    await expectNoTransientHandles(sim);
  });

  it("the L-1 template at 0x01C00004 replaces the default one", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    const dir = await mkdtemp(join(runDir(), "template-"));
    await writeFile(join(dir, "policyA.bin"), Buffer.from(POLICY_A_SHA256, "hex"));
    // A template unlike the default (userWithAuth set), marshalled by tpm2-tools itself.
    const args = ["-C", "e", "-g", "sha256", "-G", "rsa2048:aes128cfb", "-L", "policyA.bin"];
    args.push("-a", `${LOW_ATTRS}|userwithauth`, "--template-data", "template.bin", "-c", "ek.ctx");
    await tpm2(sim.tcti, "tpm2_createprimary", args, { cwd: dir });
    const expected = await toolsName(sim, "ek.ctx", dir);
    await toolsFlushTransient(sim, dir);

    await writeNv(sim, dir, 0x01c00004, await readFile(join(dir, "template.bin")));
    const ek = await ourL1(sim);
    expect(ek.source).toBe("nv-template");
    expect(hex(ek.name)).toBe(expected);
    await expectNoTransientHandles(sim);
  });

  it("a template index that does not hold a TPMT_PUBLIC is refused with the index named", async () => {
    const sim = await fleet.manufacture({ layout: "nuvoton" });
    const dir = await mkdtemp(join(runDir(), "template-"));
    await writeNv(sim, dir, 0x01c00004, Buffer.from("not a template at all"));
    await expect(ourL1(sim)).rejects.toThrow(/EK template at NV 0x01C00004 is not a valid TPMT_PUBLIC/);
    await expectNoTransientHandles(sim);
  });
});
