// The pipeline's promise, end to end on harness swtpm TPMs: a trusted station's bundle
// pre-registers its TPMs, and only they get in. A dishonest or misconfigured station that
// trusted the rogue CA puts a rogue TPM in its bundle: the import rejects that device ("does
// not chain to a trusted manufacturer CA") and its TPM, registering later, gets 403 "not
// pre-registered". A bundle from a station the registrar does not trust is refused whole, and
// its TPM gets the same 403. The agent side is our TPM stack speaking keylime's protocol over
// plain HTTP; the auth_tag is computed here with node:crypto.
import { createHmac } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importFile } from "../../cloud/import/import-file.js";
import { ImportError } from "../../cloud/import/report.js";
import { caGeneration } from "../../cloud/store/cas.js";
import { addStation } from "../../cloud/store/stations.js";
import { captureEvidence } from "../../factory/capture/index.js";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { CaStore, loadCaDir } from "../../shared/ekcert/store.js";
import type { ManifestPayload } from "../../shared/formats/manifest.js";
import { activateCredential, createAk, createEk, withAk } from "../../shared/tpm/index.js";
import { decodeCredentialBlob, encodePublicArea } from "../../shared/tpm/verifier/index.js";
import {
  expectNoTransientHandles,
  runDir,
  type SimTpm,
  startTestRegistrar,
  type TestRegistrar,
  useFleet,
} from "../harness/index.js";
import { withTpm } from "../interop/client.js";
import { makeBundle, makeStation, signManifestWith, type TestStation } from "./import-fixtures.js";

const fleet = useFleet({
  good: { layout: "infineon", vendor: "A" },
  rogue: { layout: "infineon", vendor: "rogue" },
  elsewhere: { layout: "nuvoton", vendor: "B" },
});

let reg: TestRegistrar;
let trusted: TestStation;
let untrusted: TestStation;

beforeAll(async () => {
  reg = await startTestRegistrar();
  await reg.trustCaDir(fleet.pki.trustedCaDir);
  const keys = await mkdtemp(join(runDir(), "import-register-"));
  trusted = await makeStation(keys, "line1");
  untrusted = await makeStation(keys, "garage");
  await reg.db.write((tx) => addStation(tx, trusted.name, trusted.publicKey));
}, 120_000);
afterAll(async () => {
  await reg?.close();
});

/** A station's capture; `alsoTrust` adds CAs to the station's own store (a misconfigured station). */
async function manifest(
  sim: SimTpm,
  station: TestStation,
  serial: string,
  alsoTrust: string[] = [],
): Promise<Uint8Array> {
  const { store: base } = await loadCaDir(fleet.pki.trustedCaDir);
  const store = new CaStore(base.certificates);
  for (const der of alsoTrust)
    store.add(
      parseCertificate(new Uint8Array(Buffer.from(der.replace(/-----[^-]+-----|\s/g, ""), "base64"))),
    );
  const captured = await withTpm(sim, (tpm) => captureEvidence(tpm, { store }));
  const p: ManifestPayload = {
    v: 1,
    serial,
    hw_uuid: null,
    model: "pi",
    captured_at: Math.floor(Date.now() / 1000),
    station: station.name,
    tpm: captured.tpm,
    eks: captured.eks.map((ek) => ({ ...ek, chain: [...ek.chain] })),
    platform_cert: null,
  };
  return signManifestWith(station, p);
}

/** keylime registration by our TPM stack over HTTP: the POST's answer, and the PUT's if it got that far. */
async function register(
  sim: SimTpm,
  agentId: string,
): Promise<{ post: number; reason: string; put?: number }> {
  return withTpm(sim, async (tpm) => {
    const ek = await createEk(tpm, "L-1");
    try {
      const ak = await createAk(tpm, ek, "rsa");
      const rsa = sim.eks.find((e) => e.alg === "rsa2048")!;
      const posted = await fetch(`${reg.url}/v2.2/agents/${agentId}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          ekcert: Buffer.from(rsa.certDer!).toString("base64"),
          ek_tpm: Buffer.from(encodePublicArea(ek.public)).toString("base64"),
          aik_tpm: Buffer.from(encodePublicArea(ak.public)).toString("base64"),
          mtls_cert: null,
          ip: "127.0.0.1",
          port: 9002,
        }),
      });
      const body = (await posted.json()) as { status: string; results: { blob?: string } };
      if (posted.status !== 200) return { post: posted.status, reason: body.status };
      const blob = decodeCredentialBlob(new Uint8Array(Buffer.from(body.results.blob!, "base64")));
      const secret = await withAk(tpm, ek, ak, (loaded) => activateCredential(tpm, ek, loaded, blob));
      const tag = createHmac("sha384", Buffer.from(Buffer.from(secret).toString("base64"), "ascii"))
        .update(agentId)
        .digest("hex");
      const put = await fetch(`${reg.url}/v2.2/agents/${agentId}/activate`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ auth_tag: tag }),
      });
      return { post: 200, reason: body.status, put: put.status };
    } finally {
      await tpm.flush(ek.handle);
    }
  });
}

describe("import, then register", () => {
  it("admits the trusted station's genuine TPM, and turns away the rogue one and the untrusted station's", async () => {
    const bundle = await makeBundle(trusted, { seq: 1, prev: null }, [
      await manifest(fleet.tpm("good"), trusted, "SN-GOOD"),
      await manifest(fleet.tpm("rogue"), trusted, "SN-ROGUE", [fleet.pki.rogue.root.certPem]),
    ]);
    const report = await importFile(reg.registrar, [bundle], { actor: "test" });
    expect(report.accepted).toBe(1);
    expect(report.rejected).toEqual([
      expect.objectContaining({
        serial: "SN-ROGUE",
        reason: expect.stringContaining("does not chain to a trusted manufacturer CA"),
      }),
    ]);

    const other = await makeBundle(untrusted, { seq: 1, prev: null }, [
      await manifest(fleet.tpm("elsewhere"), untrusted, "SN-ELSEWHERE"),
    ]);
    await expect(importFile(reg.registrar, [other], { actor: "test" })).rejects.toBeInstanceOf(ImportError);
    expect(await reg.db.get("SELECT id FROM devices WHERE serial = 'SN-ELSEWHERE'")).toBeUndefined();

    // The import records the CA generation it verified the EK certificates under, so the
    // registration below reuses that verdict (admission.ts) instead of verifying again.
    const recorded = await reg.db.get<{ certs_ca_generation: number | null }>(
      "SELECT certs_ca_generation FROM devices WHERE serial = 'SN-GOOD'",
    );
    expect(recorded?.certs_ca_generation).toBe(await caGeneration(reg.db));
    expect(recorded?.certs_ca_generation).toBeGreaterThan(0);
    expect(await register(fleet.tpm("good"), "agent-good")).toMatchObject({ post: 200, put: 200 });
    const good = await reg.db.get<{ state: string }>("SELECT state FROM devices WHERE serial = 'SN-GOOD'");
    expect(good?.state).toBe("active");

    for (const [name, agentId] of [
      ["rogue", "agent-rogue"],
      ["elsewhere", "agent-elsewhere"],
    ] as const) {
      const r = await register(fleet.tpm(name), agentId);
      expect(r, name).toMatchObject({ post: 403, reason: expect.stringMatching(/not pre-registered/i) });
      expect(await reg.db.get("SELECT agent_id FROM agents WHERE agent_id = ?", [agentId])).toBeUndefined();
    }
    for (const name of ["good", "rogue", "elsewhere"] as const)
      await expectNoTransientHandles(fleet.tpm(name));
  }, 180_000);
});
