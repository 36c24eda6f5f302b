// The EK that our CreatePrimary makes from each profile template is the key its certificate
// certifies, and the same object tpm2-tools makes: same public key, same TPM name.
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEk } from "../../shared/tpm/ek/create-ek.js";
import { readEkCertificates } from "../../shared/tpm/ek/ek-certs.js";
import type { EkTemplateName } from "../../shared/tpm/ek/templates.js";
import { publicAreaToSpki } from "../../shared/tpm/verifier/public-key.js";
import { expectNoTransientHandles, runDir, type SimTpm, tpm2, useFleet } from "../harness/index.js";
import { toolsFlushTransient, toolsName, withTpm } from "./client.js";
import { certSpkiDer } from "./openssl.js";

/** Our EK for a template: its name (hex) and SPKI DER; the transient object is flushed. */
async function ourEk(sim: SimTpm, template: EkTemplateName) {
  return withTpm(sim, async (tpm) => {
    const ek = await createEk(tpm, template);
    await tpm.flush(ek.handle);
    return { name: Buffer.from(ek.name).toString("hex"), spki: Buffer.from(publicAreaToSpki(ek.public)) };
  });
}

const fleet = useFleet();

describe.each([
  { layout: "infineon", template: "L-1", nvIndex: 0x01c00002, createek: "rsa" },
  { layout: "infineon", template: "L-2", nvIndex: 0x01c0000a, createek: "ecc" },
  { layout: "nuvoton", template: "H-3", nvIndex: 0x01c00016, createek: "ecc384" },
] as const)("the $template EK on a $layout-like TPM", ({ layout, template, nvIndex, createek }) => {
  it(`is the key that the certificate at NV 0x${nvIndex.toString(16)} certifies`, async () => {
    const sim = await fleet.manufacture({ layout });
    const cert = await withTpm(sim, async (tpm) =>
      (await readEkCertificates(tpm)).certs.find((c) => c.nvIndex === nvIndex),
    );
    expect(cert?.template.name).toBe(template);
    const ours = await ourEk(sim, template);
    expect(ours.spki.toString("hex")).toBe(certSpkiDer(cert?.der ?? new Uint8Array()).toString("hex"));
    await expectNoTransientHandles(sim);
  });

  it(`has the TPM name that tpm2_createek -G ${createek} gives it`, async () => {
    const sim = await fleet.manufacture({ layout });
    const dir = await mkdtemp(join(runDir(), "ek-"));
    await tpm2(sim.tcti, "tpm2_createek", ["-G", createek, "-c", "ek.ctx", "-u", "ek.pub"], { cwd: dir });
    const expected = await toolsName(sim, "ek.ctx", dir);
    await toolsFlushTransient(sim, dir);
    const ours = await ourEk(sim, template);
    expect(ours.name).toBe(expected);
    await expectNoTransientHandles(sim);
  });
});

describe("high-range templates tpm2_createek does not know (H-1, H-2)", () => {
  // PolicyB for SHA-256, as published in the TCG EK Credential Profile (2.x), written as
  // tpm2_createprimary -L expects it: the raw digest.
  const POLICY_B_SHA256 = "ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0";
  const ATTRS = "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|adminwithpolicy|restricted|decrypt";

  it.each([
    { template: "H-1", alg: "rsa2048:aes128cfb" },
    { template: "H-2", alg: "ecc256:aes128cfb" },
  ] as const)(
    "$template has the name of tpm2_createprimary -G $alg with PolicyB",
    async ({ template, alg }) => {
      const sim = await fleet.manufacture({ layout: "nuvoton" });
      const dir = await mkdtemp(join(runDir(), "ek-"));
      await writeFile(join(dir, "policyB.bin"), Buffer.from(POLICY_B_SHA256, "hex"));
      await tpm2(
        sim.tcti,
        "tpm2_createprimary",
        ["-C", "e", "-g", "sha256", "-G", alg, "-a", ATTRS, "-L", "policyB.bin", "-c", "ek.ctx"],
        { cwd: dir },
      );
      const expected = await toolsName(sim, "ek.ctx", dir);
      await tpm2(sim.tcti, "tpm2_flushcontext", ["-t"], { cwd: dir });
      expect((await ourEk(sim, template)).name).toBe(expected);
      await expectNoTransientHandles(sim);
    },
  );
});

describe("the persistent EKs swtpm_setup made", () => {
  it.each([
    { template: "L-1", handle: "0x81010001" },
    { template: "H-3", handle: "0x81010016" },
  ] as const)(
    "$template from the template has the name of the key at $handle",
    async ({ template, handle }) => {
      const sim = await fleet.manufacture({ layout: "nuvoton" });
      const dir = await mkdtemp(join(runDir(), "ek-"));
      const expected = await toolsName(sim, handle, dir);
      expect((await ourEk(sim, template)).name).toBe(expected);
    },
  );
});
