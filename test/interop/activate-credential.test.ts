// Credential activation, tpm2-tools → us: a challenge made by `tpm2_makecredential -T none`
// (no TPM involved: the verifier side of tpm2-tools) is answered by our ActivateCredential, for
// an RSA-2048, a P-256 and a P-384 EK (the last through the high-range policy path).
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { activateCredential } from "../../shared/tpm/activate-credential.js";
import { createAk, loadAk } from "../../shared/tpm/ak/ak.js";
import { marshal } from "../../shared/tpm/codec/codec.js";
import { createEk } from "../../shared/tpm/ek/create-ek.js";
import type { EkTemplateName } from "../../shared/tpm/ek/templates.js";
import { TpmResponseError } from "../../shared/tpm/rc.js";
import { TPM2B_PUBLIC } from "../../shared/tpm/structures/public.js";
import { Tpm } from "../../shared/tpm/tpm.js";
import { decodeCredentialBlob } from "../../shared/tpm/verifier/credential-blob.js";
import { expectNoTransientHandles, run, runDir, type SimTpm, useFleet } from "../harness/index.js";

const fleet = useFleet();

/** tpm2_makecredential -T none: the TPM2B_PUBLIC of the EK in, the blob file out. */
async function toolsMakeCredential(
  ekPublic: Uint8Array,
  akName: Uint8Array,
  secret: Uint8Array,
): Promise<Uint8Array> {
  const dir = await mkdtemp(join(runDir(), "mkcred-"));
  await writeFile(join(dir, "ek.pub"), ekPublic);
  await writeFile(join(dir, "secret.bin"), secret);
  const args = ["-T", "none", "-u", "ek.pub", "-s", "secret.bin", "-n", Buffer.from(akName).toString("hex")];
  await run("tpm2_makecredential", [...args, "-o", "cred.blob"], { cwd: dir });
  return new Uint8Array(await readFile(join(dir, "cred.blob")));
}

/** Our EK and AK on the TPM; `fn` runs with both loaded, and both are flushed afterwards. */
async function withEkAndAk<T>(
  sim: SimTpm,
  template: EkTemplateName,
  fn: (
    tpm: Tpm,
    ctx: { ek: Awaited<ReturnType<typeof createEk>>; ak: Awaited<ReturnType<typeof loadAk>> },
  ) => Promise<T>,
): Promise<T> {
  const tpm = await Tpm.open(sim.tcti, { timeoutMs: 30_000 });
  try {
    const ek = await createEk(tpm, template);
    return await tpm.using(ek.handle, async () => {
      const ak = await loadAk(tpm, ek, await createAk(tpm, ek, "rsa"));
      return tpm.using(ak.handle, () => fn(tpm, { ek, ak }));
    });
  } finally {
    await tpm.close();
  }
}

describe.each([
  { template: "L-1", layout: "infineon", ek: "an RSA-2048 EK" },
  { template: "L-2", layout: "infineon", ek: "a P-256 EK" },
  { template: "H-3", layout: "nuvoton", ek: "a P-384 EK" },
] as const)("with $ek ($template)", ({ template, layout }) => {
  it("recovers the secret of a tpm2_makecredential blob", async () => {
    const sim = await fleet.manufacture({ layout });
    const secret = new Uint8Array(randomBytes(32));
    const recovered = await withEkAndAk(sim, template, async (tpm, { ek, ak }) => {
      const blob = decodeCredentialBlob(
        await toolsMakeCredential(marshal(TPM2B_PUBLIC, ek.public), ak.name, secret),
      );
      return activateCredential(tpm, ek, ak, blob);
    });
    expect(Buffer.from(recovered).toString("hex")).toBe(Buffer.from(secret).toString("hex"));
    await expectNoTransientHandles(sim);
  });

  it("refuses a blob made for another AK's name, with a readable TPM error", async () => {
    const sim = await fleet.manufacture({ layout });
    const error = await withEkAndAk(sim, template, async (tpm, { ek, ak }) => {
      const otherName = new Uint8Array(ak.name);
      otherName[otherName.length - 1] = (otherName.at(-1) ?? 0) ^ 0x01; // another AK, as far as the blob says
      const blob = decodeCredentialBlob(
        await toolsMakeCredential(
          marshal(TPM2B_PUBLIC, ek.public),
          otherName,
          new Uint8Array(randomBytes(32)),
        ),
      );
      return activateCredential(tpm, ek, ak, blob).then(
        () => undefined,
        (err: unknown) => err,
      );
    });
    expect(error).toBeInstanceOf(TpmResponseError);
    expect((error as TpmResponseError).code).toBe("TPM_RC_INTEGRITY");
    expect((error as Error).message).toMatch(/TPM2_ActivateCredential failed: TPM_RC_INTEGRITY.*another key/);
    await expectNoTransientHandles(sim);
  });
});
