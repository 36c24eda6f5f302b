// Factory capture on harness TPMs (issue 4, DESIGN §8): both layouts capture with all their
// EKs, and defective TPMs (foreign cert, rogue CA, no cert) are refused with an operator's
// message; every path leaves no transient handle behind.

import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { activationRoundTrip } from "../../factory/capture/activation.js";
import { type CapturedTpm, CaptureError, captureEvidence } from "../../factory/capture/index.js";
import { type CaStore, loadCaDir } from "../../shared/ekcert/index.js";
import { marshal } from "../../shared/tpm/codec/codec.js";
import { TPM_ALG } from "../../shared/tpm/constants.js";
import { createEk } from "../../shared/tpm/index.js";
import { TPM2B_PUBLIC } from "../../shared/tpm/structures/public.js";
import { expectNoTransientHandles, type SimTpm, tpm2, useFleet } from "../harness/index.js";
import { withTpm } from "../interop/client.js";
import { certSpkiDer, pemSpkiDer } from "../interop/openssl.js";

const fleet = useFleet({
  infineon: { layout: "infineon", vendor: "A", chain: true },
  nuvoton: { layout: "nuvoton", vendor: "B" },
  foreign: { layout: "infineon", vendor: "A", defect: "foreign-rsa-cert" },
  foreignEcc: { layout: "nuvoton", vendor: "A", defect: "foreign-ecc-cert" },
  rogue: { layout: "nuvoton", vendor: "rogue" },
  missingRsa: { layout: "infineon", vendor: "A", defect: "missing-rsa-cert" },
});

let store: CaStore;
beforeAll(async () => {
  store = (await loadCaDir(fleet.pki.trustedCaDir)).store;
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function capture(sim: SimTpm, options: { allowNoCert?: boolean; label?: string } = {}): Promise<CapturedTpm> {
  return withTpm(sim, (tpm) => captureEvidence(tpm, { store, ...options }));
}

async function refusal(sim: SimTpm, options: { allowNoCert?: boolean; label?: string } = {}) {
  const error = await capture(sim, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CaptureError);
  return error as CaptureError;
}

/** Every captured EK with a cert matches what the harness wrote, hashed as openssl does. */
function expectEksMatchSim(captured: CapturedTpm, sim: SimTpm): void {
  for (const ek of captured.eks) {
    const simEk = sim.eks.find((e) => e.template === ek.template);
    expect(simEk, `harness EK ${ek.template}`).toBeDefined();
    expect(ek.alg).toBe(simEk?.alg);
    expect(ek.cert_nv).toBe(simEk?.nvIndex);
    expect(ek.cert).toEqual(simEk?.certDer);
    expect(ek.ek_pub_sha256).toBe(sha256(certSpkiDer(ek.cert as Uint8Array)));
    expect(ek.ek_pub_sha256).toBe(sha256(pemSpkiDer(simEk?.publicPem ?? "")));
    // pub is a TPM2B_PUBLIC: a 2-byte size, then a TPMT_PUBLIC of that size.
    expect(ek.pub.length).toBe(2 + ((ek.pub[0] ?? 0) << 8) + (ek.pub[1] ?? 0));
  }
}

describe("captureEvidence on good TPMs", () => {
  it("captures an Infineon-like TPM with its L-1 and L-2 EKs and the NV chain", async () => {
    const sim = fleet.tpm("infineon");
    const captured = await capture(sim);
    expect(captured.eks.map((e) => [e.template, e.alg])).toEqual([
      ["L-1", "rsa2048"],
      ["L-2", "ecc-p256"],
    ]);
    expectEksMatchSim(captured, sim);
    expect(captured.tpm.manufacturer).toBe("IBM");
    expect(captured.tpm.fw).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(captured.tpm.spec).toMatch(/^2\.0 level \d+ revision \d+$/);
    expect(typeof captured.tpm.vendor).toBe("string");
    expect(sim.chain).not.toBeNull();
    for (const ek of captured.eks) expect(Buffer.concat(ek.chain)).toEqual(Buffer.from(sim.chain?.der ?? []));
    await expectNoTransientHandles(sim);
  });

  it("captures a Nuvoton-like TPM with its L-1 and H-3 EKs (vendor B, root-only CA)", async () => {
    const sim = fleet.tpm("nuvoton");
    const captured = await capture(sim);
    expect(captured.eks.map((e) => [e.template, e.alg])).toEqual([
      ["L-1", "rsa2048"],
      ["H-3", "ecc-p384"],
    ]);
    expectEksMatchSim(captured, sim);
    for (const ek of captured.eks) expect(ek.chain).toEqual([]);
    // pub is the TPM's own TPM2B_PUBLIC for the EK, as createEk returns it.
    const ek = await withTpm(sim, async (tpm) => {
      const made = await createEk(tpm, "H-3");
      await tpm.flush(made.handle);
      return made;
    });
    expect(captured.eks[1]?.pub).toEqual(marshal(TPM2B_PUBLIC, ek.public));
    await expectNoTransientHandles(sim);
  });

  it("captures a TPM with its RSA cert missing with the EK that has one", async () => {
    const sim = fleet.tpm("missingRsa");
    const captured = await capture(sim);
    expect(captured.eks.map((e) => e.template)).toEqual(["L-2"]);
    expectEksMatchSim(captured, sim);
    await expectNoTransientHandles(sim);
  });
});

describe("captureEvidence refuses defective TPMs", () => {
  it("refuses a TPM whose NV cert belongs to another key", async () => {
    const sim = fleet.tpm("foreign");
    const error = await refusal(sim);
    expect(error.code).toBe("CAPTURE_CERT_KEY_MISMATCH");
    expect(error.message).toContain(
      "EK certificate at NV 0x01C00002 belongs to a different key than this TPM's L-1 EK",
    );
    await expectNoTransientHandles(sim);
  });

  it("refuses a TPM whose second EK's cert (H-3, high range) belongs to another key", async () => {
    const sim = fleet.tpm("foreignEcc");
    const error = await refusal(sim);
    expect(error.code).toBe("CAPTURE_CERT_KEY_MISMATCH");
    expect(error.message).toContain(
      "EK certificate at NV 0x01C00016 belongs to a different key than this TPM's H-3 EK",
    );
    await expectNoTransientHandles(sim);
  });

  it("refuses a TPM whose certs chain only to the rogue root, with the verifier's reason", async () => {
    const sim = fleet.tpm("rogue");
    const error = await refusal(sim, { label: "board SN-42" });
    expect(error.code).toBe("CAPTURE_CERT_UNTRUSTED");
    expect(error.message).toMatch(
      /^board SN-42: EK certificate at NV 0x01C00002 is not trusted by this station/,
    );
    expect(error.message).toContain("EK_CHAIN_");
    expect(error.message).toContain(fleet.pki.trustedCaDir);
    await expectNoTransientHandles(sim);
  });

  it("refuses a TPM with no EK cert unless allowNoCert, which records the RSA EK hash alone", async () => {
    // Runs after the "RSA cert missing" capture above (tests in a file run in order): it removes
    // that TPM's remaining cert, the ECC one.
    const sim = fleet.tpm("missingRsa");
    await tpm2(sim.tcti, "tpm2_nvundefine", ["-C", "p", "0x1c0000a"]);
    const error = await refusal(sim);
    expect(error.code).toBe("CAPTURE_NO_EK_CERT");
    expect(error.message).toContain("no EK certificate in NV");
    expect(error.message).toContain("--allow-no-cert");
    await expectNoTransientHandles(sim);

    const captured = await capture(sim, { allowNoCert: true });
    expect(captured.eks).toHaveLength(1);
    const ek = captured.eks[0];
    expect(ek).toMatchObject({ alg: "rsa2048", template: "L-1", cert: null, cert_nv: null, chain: [] });
    const simEk = sim.eks.find((e) => e.template === "L-1");
    expect(ek?.ek_pub_sha256).toBe(sha256(pemSpkiDer(simEk?.publicPem ?? "")));
    await expectNoTransientHandles(sim);
  });

  it("fails the activation round trip when the EK public reported is not the TPM's key", async () => {
    const sim = fleet.tpm("infineon");
    const error = await withTpm(sim, async (tpm) => {
      const ek = await createEk(tpm, "L-1");
      return tpm.using(ek.handle, async () => {
        if (ek.public.type !== TPM_ALG.RSA) throw new Error("L-1 is RSA");
        const modulus = new Uint8Array(ek.public.unique);
        modulus[10] = (modulus[10] ?? 0) ^ 0x40; // another (odd) modulus: a key the TPM does not hold
        const forged = { ...ek, public: { ...ek.public, unique: modulus } };
        return activationRoundTrip(tpm, forged, "this TPM's L-1 EK").then(
          () => undefined,
          (e: unknown) => e,
        );
      });
    });
    expect(error).toBeInstanceOf(CaptureError);
    expect((error as CaptureError).code).toBe("CAPTURE_ACTIVATION_FAILED");
    expect((error as CaptureError).message).toContain("credential activation with this TPM's L-1 EK failed");
    await expectNoTransientHandles(sim);
  });
});
