// EK certificates read back from simulated TPMs of the harness fleet verify against the
// harness's trusted CA directory: vendor A through its intermediates, vendor B directly from
// its root; a TPM whose certs the look-alike root signed is refused. Who issued what is the
// harness's construction (test/harness/pki.ts), not our code's opinion.
import { describe, expect, it } from "vitest";
import {
  CaStore,
  type Certificate,
  chainSubjects,
  loadCaDir,
  parseCertificate,
  readCertificateInput,
  verifyEkCertificate,
} from "../../shared/ekcert/index.js";
import { nvRead, type SimTpm, type TestCa, useFleet } from "../harness/index.js";

const fleet = useFleet({
  a: { layout: "nuvoton", vendor: "A", chain: true },
  b: { layout: "infineon", vendor: "B", nvPadding: 64 },
  rogue: { layout: "nuvoton", vendor: "rogue" },
});

const ders = (cas: readonly TestCa[]) => cas.map((ca) => Buffer.from(ca.certDer).toString("hex"));
const hexChain = (chain: readonly Certificate[]) => chain.map((c) => Buffer.from(c.der).toString("hex"));

/** The EK certs exactly as the TPM's NV holds them (padding included). */
async function nvCerts(tpm: SimTpm): Promise<{ index: number; bytes: Uint8Array }[]> {
  return Promise.all(
    tpm.eks.map(async (ek) => ({
      index: ek.nvIndex,
      bytes: new Uint8Array(await nvRead(tpm.tcti, ek.nvIndex)),
    })),
  );
}

describe("EK certificates of the harness fleet", () => {
  it("vendor A: RSA and ECC EK certs chain through their intermediates to the vendor A root", async () => {
    const { store } = await loadCaDir(fleet.pki.trustedCaDir);
    const { root, rsaIntermediate, eccIntermediate } = fleet.pki.vendorA;
    const tpm = fleet.tpm("a");
    const expected = [rsaIntermediate, eccIntermediate];
    for (const [i, { index, bytes }] of (await nvCerts(tpm)).entries()) {
      const result = verifyEkCertificate(bytes, {
        store,
        label: `EK certificate at NV 0x${index.toString(16)}`,
      });
      expect(result.ok, result.ok ? "" : result.reason).toBe(true);
      if (!result.ok) continue;
      expect(result.leaf.der).toEqual(tpm.eks[i]?.certDer);
      expect(hexChain(result.chain.slice(1))).toEqual(ders([expected[i] as TestCa, root]));
      expect(chainSubjects(result.chain).slice(1)).toEqual([(expected[i] as TestCa).subject, root.subject]);
    }
  });

  it("vendor A: the intermediates from NV 0x01C00100 complete a path to a store holding only the root", async () => {
    const tpm = fleet.tpm("a");
    expect(tpm.chain).not.toBeNull();
    const chainNv = new Uint8Array(await nvRead(tpm.tcti, tpm.chain?.nvIndex as number));
    const intermediates = readCertificateInput(chainNv).map((der) => parseCertificate(der));
    const { root } = fleet.pki.vendorA;
    const { store } = await loadCaDir(fleet.pki.trustedCaDir);
    const onlyRoot = new CaStore(store.certificates.filter((c) => Buffer.from(c.der).equals(root.certDer)));
    expect(onlyRoot.size).toBe(1);
    for (const ek of tpm.eks) {
      const result = verifyEkCertificate(ek.certDer as Uint8Array, { store: onlyRoot, intermediates });
      expect(result.ok, result.ok ? "" : result.reason).toBe(true);
      if (result.ok) expect(result.chain).toHaveLength(3);
      // The intermediates alone are not trusted.
      const alone = verifyEkCertificate(ek.certDer as Uint8Array, {
        store: new CaStore(),
        intermediates,
      });
      expect(alone).toMatchObject({ ok: false, code: "EK_CHAIN_UNTRUSTED" });
    }
  });

  it("vendor B: RSA and ECC EK certs (NV with padding) chain directly to the vendor B root", async () => {
    const { store } = await loadCaDir(fleet.pki.trustedCaDir);
    const tpm = fleet.tpm("b");
    for (const { bytes } of await nvCerts(tpm)) {
      const result = verifyEkCertificate(bytes, { store });
      expect(result.ok, result.ok ? "" : result.reason).toBe(true);
      if (result.ok) expect(hexChain(result.chain.slice(1))).toEqual(ders([fleet.pki.vendorB.root]));
    }
  });

  it("refuses a TPM whose EK certs the look-alike of the vendor A root signed", async () => {
    const { store } = await loadCaDir(fleet.pki.trustedCaDir);
    const tpm = fleet.tpm("rogue");
    for (const { bytes } of await nvCerts(tpm)) {
      const result = verifyEkCertificate(bytes, { store });
      expect(result).toMatchObject({ ok: false, code: "EK_CHAIN_UNTRUSTED" });
      if (!result.ok) {
        expect(result.reason).toContain(`"${fleet.pki.vendorA.root.subject}"`);
        expect(result.reason).toContain("signature does not verify");
      }
    }
  });
});
