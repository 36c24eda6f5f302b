// The admission policy's reuse of an import's chain verdict (admission.ts, verifiedAtImport):
// a registration presenting the very certificate an import verified, at the same capture time,
// under the same manufacturer-CA generation, is not verified again. These tests run
// checkAdmission on a real registrar database whose CA set is empty or changed, so that a
// registration gets in only when the recorded verdict is reused, and every condition of the
// reuse is shown to be needed.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { createTestPki, type SoftTpm, softTpm, type TestPki } from "../../test/harness/index.js";
import { Registrar } from "../registrar/registrar.js";
import { addCa, caGeneration, retireCa } from "../store/cas.js";
import type { Device } from "../store/devices.js";
import { SqliteDatabase } from "../store/sqlite-database.js";
import { checkAdmission, type ParsedRegistration, parseRegistration } from "./admission.js";
import { RegistrationError } from "./errors.js";

let dir: string;
let pki: TestPki;
let tpm: SoftTpm;
let parsed: ParsedRegistration;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "admission-"));
  pki = await createTestPki(join(dir, "pki"));
  tpm = await softTpm({ issuer: pki.vendorA.rsaIntermediate });
  parsed = parseRegistration({
    agentId: "agent-1",
    ekTpm: tpm.ekTpm,
    ekcert: tpm.certDer,
    aikTpm: tpm.aikTpm,
  });
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function openRegistrar(name: string): Promise<{ registrar: Registrar; db: SqliteDatabase }> {
  const db = await SqliteDatabase.open(join(dir, `${name}.db`));
  return { registrar: new Registrar(db), db };
}

/** The device an import of `tpm` would have recorded. */
function importedDevice(overrides: Partial<Device> = {}): Device {
  return {
    id: 1,
    serial: "SN-1",
    hwUuid: null,
    model: null,
    source: "bundle",
    station: "line1",
    bundleDigest: null,
    capturedAt: Math.floor(Date.now() / 1000) - 3600,
    tpm: { manufacturer: null, vendor: null, fw: null },
    manifest: null,
    comment: null,
    state: "pre-registered",
    stateBeforeRevoke: null,
    revokedReason: null,
    certsCaGeneration: 0,
    createdAt: 0,
    updatedAt: 0,
    eks: [
      {
        ekPubSha256: tpm.ekPubSha256,
        alg: "rsa2048",
        template: "L-1",
        ekPub: tpm.ekTpm,
        cert: tpm.certDer,
        certNv: 0x01c00002,
      },
    ],
    ...overrides,
  };
}

const refusal = async (p: Promise<unknown>): Promise<string> => {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(RegistrationError);
  return (e as RegistrationError).code;
};

describe("checkAdmission reuses an import's chain verdict", () => {
  it("only under the generation it was recorded with, for a device with a capture time", async () => {
    // No CA at all (generation 0): nothing could verify this certificate now.
    const { registrar, db } = await openRegistrar("empty");
    try {
      expect(await caGeneration(db)).toBe(0);
      const admitted = await checkAdmission(registrar, parsed, importedDevice());
      expect(admitted).toEqual({ deviceId: 1, ekCertDer: tpm.certDer });

      // Not verified at import (tpm-endorsements, or a database from before migration 2).
      expect(
        await refusal(checkAdmission(registrar, parsed, importedDevice({ certsCaGeneration: null }))),
      ).toBe("EK_CHAIN_UNTRUSTED");
      // Verified under another CA set.
      expect(await refusal(checkAdmission(registrar, parsed, importedDevice({ certsCaGeneration: 7 })))).toBe(
        "EK_CHAIN_UNTRUSTED",
      );
      // No capture time: the check runs at "now", not at the time the import checked.
      expect(await refusal(checkAdmission(registrar, parsed, importedDevice({ capturedAt: null })))).toBe(
        "EK_CHAIN_UNTRUSTED",
      );
    } finally {
      await db.close();
    }
  });

  it("verifies again once a CA is retired or added, and admits when the chain still holds", async () => {
    const { registrar, db } = await openRegistrar("changed");
    try {
      await db.write(async (tx) => {
        for (const ca of [pki.vendorA.root, pki.vendorA.rsaIntermediate])
          await addCa(tx, parseCertificate(ca.certDer), "test");
      });
      const imported = await caGeneration(db);
      expect(imported).toBe(2);
      const admitted = { deviceId: 1, ekCertDer: tpm.certDer };
      await expect(
        checkAdmission(registrar, parsed, importedDevice({ certsCaGeneration: imported })),
      ).resolves.toEqual(admitted);

      // The issuing CA is retired (the root alone would not do: the agent sends no
      // intermediates): the recorded verdict no longer counts.
      const issuerId = createHash("sha256").update(pki.vendorA.rsaIntermediate.certDer).digest("hex");
      await db.write((tx) => retireCa(tx, issuerId));
      await new Promise((r) => setTimeout(r, 1100)); // Registrar.caTrust re-reads the generation after 1 s
      expect(await caGeneration(db)).toBe(3);
      expect(
        await refusal(checkAdmission(registrar, parsed, importedDevice({ certsCaGeneration: imported }))),
      ).toBe("EK_CHAIN_UNTRUSTED");

      // Trusted again (generation 4): verified afresh, and the chain holds.
      await db.write(async (tx) => {
        await addCa(tx, parseCertificate(pki.vendorA.rsaIntermediate.certDer), "test");
      });
      await new Promise((r) => setTimeout(r, 1100));
      expect(await caGeneration(db)).toBe(4);
      await expect(
        checkAdmission(registrar, parsed, importedDevice({ certsCaGeneration: imported })),
      ).resolves.toEqual(admitted);
    } finally {
      await db.close();
    }
  }, 20_000);

  it("never for another certificate than the one recorded", async () => {
    const { registrar, db } = await openRegistrar("other-cert");
    try {
      const other = await softTpm({ issuer: pki.rogue.root });
      const device = importedDevice();
      device.eks[0]!.cert = other.certDer;
      expect(await refusal(checkAdmission(registrar, parsed, device))).toBe("EK_CERT_MISMATCH");
    } finally {
      await db.close();
    }
  }, 20_000);
});
