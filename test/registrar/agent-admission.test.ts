// The registrar's keylime-compatible agent API and its admission policy (DESIGN §6), against a
// real server on loopback. TPMs here are software keys (node:crypto) shaped as TPM2B_PUBLIC,
// with EK certificates from the test PKI, and a software ActivateCredential (TPM 2.0 Part 1
// §24, test/harness/soft-tpm.ts) answers the challenge: fast enough for one behaviour per test. The same flow on a
// swtpm with tpm2-tools is in agent-keylime-protocol.test.ts.
import { createHash, type KeyObject } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { RegistrarConfig } from "../../cloud/registrar/config.js";
import { Registrar } from "../../cloud/registrar/registrar.js";
import { beginRegistration, completeActivation, RegistrationError } from "../../cloud/registration/index.js";
import { insertDevice, revokeDevice } from "../../cloud/store/devices.js";
import type { SqlDatabase } from "../../cloud/store/sql.js";
import type { Scope } from "../../cloud/store/tokens.js";
import { TPM_ALG, TPMA_OBJECT } from "../../shared/tpm/constants.js";
import { EK_TEMPLATES } from "../../shared/tpm/ek/templates.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import { encodePublicArea, keyObjectToPublicFields } from "../../shared/tpm/verifier/index.js";
import {
  issueEkCert,
  keylimeAuthTag,
  softTpm as makeSoftTpm,
  SOFT_AK_TEMPLATE,
  type SoftTpm,
  softActivate as softActivateBlob,
  softAk,
  startTestRegistrar,
  type TestRegistrar,
  useFleet,
} from "../harness/index.js";

const fleet = useFleet(); // the test PKI only: no swtpm in this file

// A software TPM (test/harness/soft-tpm.ts): an RSA-2048 EK in the L-1 template with a vendor's
// EK certificate, an RSA AK in tpm2_createak's shape, ActivateCredential with node:crypto.
const AK_TEMPLATE = SOFT_AK_TEMPLATE;

function softTpm(opts: { vendor?: "A" | "B" | "rogue"; akAttributes?: number } = {}): Promise<SoftTpm> {
  const issuer =
    opts.vendor === "rogue"
      ? fleet.pki.rogue.root
      : opts.vendor === "B"
        ? fleet.pki.vendorB.root
        : fleet.pki.vendorA.rsaIntermediate;
  return makeSoftTpm({
    issuer,
    ...(opts.akAttributes === undefined ? {} : { akAttributes: opts.akAttributes }),
  });
}

/** The challenge recovered from a base64 blob, as the agent's TPM would. */
const softActivate = (tpm: SoftTpm, blobB64: string): string =>
  softActivateBlob(tpm, new Uint8Array(Buffer.from(blobB64, "base64")));

/** The EK's public area with the key of `key` in another template (same key, other fields). */
function rsaPublicArea(key: KeyObject, template: TpmtPublic): TpmtPublic {
  const f = keyObjectToPublicFields(key);
  if (f.type !== TPM_ALG.RSA || template.type !== TPM_ALG.RSA) throw new Error("expected RSA");
  return { ...template, parameters: { ...template.parameters, exponent: f.exponent }, unique: f.unique };
}

// ---------------------------------------------------------------------------------------------
// The registrar and HTTP.

let reg: TestRegistrar | undefined;
let clockOffsetMs = 0;

afterEach(async () => {
  await reg?.close();
  reg = undefined;
  clockOffsetMs = 0;
});

async function registrar(config: Partial<RegistrarConfig> = {}): Promise<TestRegistrar> {
  reg = await startTestRegistrar({ config, clock: () => Date.now() + clockOffsetMs });
  await reg.trustCaDir(fleet.pki.trustedCaDir);
  return reg;
}

interface Reply {
  status: number;
  body: { code: number; status: string; results: Record<string, unknown> };
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const r = reg as TestRegistrar;
  const res = await fetch(`${r.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Reply["body"], headers: res.headers };
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

function postBody(tpm: Pick<SoftTpm, "ekTpm" | "aikTpm" | "certDer">, extra: Record<string, unknown> = {}) {
  return {
    ekcert: b64(tpm.certDer),
    ek_tpm: b64(tpm.ekTpm),
    aik_tpm: b64(tpm.aikTpm),
    mtls_cert: null,
    ip: "127.0.0.1",
    port: 9002,
    ...extra,
  };
}

const register = (agentId: string, tpm: SoftTpm, extra: Record<string, unknown> = {}, ver = "v2.1") =>
  call("POST", `/${ver}/agents/${agentId}`, postBody(tpm, extra));

/** POST, then answer the challenge with the TPM's keys; returns the PUT's reply. */
async function registerAndActivate(agentId: string, tpm: SoftTpm): Promise<Reply> {
  const posted = await register(agentId, tpm);
  expect(posted.status, posted.body.status).toBe(200);
  const challenge = softActivate(tpm, posted.body.results["blob"] as string);
  return call("PUT", `/v2.1/agents/${agentId}/activate`, { auth_tag: keylimeAuthTag(challenge, agentId) });
}

/** Pre-registers the TPM as the bundle import would: a device with this EK, from a manifest. */
async function preRegister(
  tpm: Pick<SoftTpm, "ekPubSha256" | "ekTpm" | "certDer">,
  overrides: { ekPub?: Uint8Array | null; cert?: Uint8Array | null } = {},
): Promise<number> {
  const r = reg as TestRegistrar;
  return r.db.write((tx) =>
    insertDevice(tx, {
      serial: `SN-${tpm.ekPubSha256.slice(0, 8)}`,
      hwUuid: null,
      model: "test-board",
      source: "manifest",
      station: null,
      capturedAt: Math.floor(Date.now() / 1000),
      tpm: { manufacturer: "id:00001014", vendor: "swtpm", fw: null },
      manifest: null,
      comment: null,
      eks: [
        {
          ekPubSha256: tpm.ekPubSha256,
          alg: "rsa2048",
          template: "L-1",
          ekPub: overrides.ekPub === undefined ? tpm.ekTpm : overrides.ekPub,
          cert: overrides.cert === undefined ? tpm.certDer : overrides.cert,
          certNv: 0x01c00002,
        },
      ],
    }),
  );
}

const deviceState = async (id: number) =>
  (await (reg as TestRegistrar).db.get<{ state: string }>("SELECT state FROM devices WHERE id = ?", [id]))
    ?.state;

interface AgentRow {
  agent_id: string;
  device_id: number | null;
  active: number;
  regcount: number;
  aik_tpm: Uint8Array;
}
const agentRow = (id: string) =>
  (reg as TestRegistrar).db.get<AgentRow>("SELECT * FROM agents WHERE agent_id = ?", [id]);

interface ChallengeRow {
  session: string;
  used_at: number | null;
  outcome: string | null;
  tag_sha256: Uint8Array;
  expires_at: number;
  created_at: number;
}
const challengeRows = (id: string) =>
  (reg as TestRegistrar).db.all<ChallengeRow>("SELECT * FROM challenges WHERE agent_id = ? ORDER BY rowid", [
    id,
  ]);

const auditActions = async (subject: string) =>
  (
    await (reg as TestRegistrar).db.all<{ action: string; detail: string }>(
      "SELECT action, detail FROM audit_log WHERE subject = ? ORDER BY seq",
      [subject],
    )
  ).map((r) => ({ action: r.action, detail: JSON.parse(r.detail) as Record<string, unknown> }));

async function adminHeaders(scopes?: readonly Scope[]): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await (reg as TestRegistrar).token(scopes)}` };
}

// ---------------------------------------------------------------------------------------------

describe("the keylime protocol with a pre-registered TPM", () => {
  it("answers GET /version with the keylime API versions 2.1 to 2.6", async () => {
    await registrar();
    const r = await call("GET", "/version");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      code: 200,
      status: "Success",
      results: { current_version: "2.6", supported_versions: ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"] },
    });
  });

  it("registers, activates and shows the agent; the device goes pre-registered → registered → active", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    const agentId = "d432fbb3-d2f1-4a97-9ef7-75bd81c00000";

    const posted = await register(agentId, tpm, {}, "v2.2");
    expect(posted.status).toBe(200);
    expect(posted.body.code).toBe(200);
    expect(posted.body.status).toBe("Success");
    const blob = Buffer.from(posted.body.results["blob"] as string, "base64");
    expect(blob.readUInt32BE(0)).toBe(0xbadcc0de);
    expect(blob.readUInt32BE(4)).toBe(1);
    expect(await deviceState(deviceId)).toBe("registered");
    expect(await agentRow(agentId)).toMatchObject({ device_id: deviceId, active: 0, regcount: 1 });

    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    expect(challenge).toMatch(/^[A-Za-z0-9]{32}$/);
    const tag = keylimeAuthTag(challenge, agentId);
    // Only the SHA-256 of the expected auth_tag is stored.
    const [row] = await challengeRows(agentId);
    expect(Buffer.from(row?.tag_sha256 ?? []).toString("hex")).toBe(
      createHash("sha256").update(tag).digest("hex"),
    );
    expect(row?.expires_at).toBe((row?.created_at ?? 0) + 300);

    const put = await call("PUT", `/v2.2/agents/${agentId}/activate`, { auth_tag: tag });
    expect(put.status, put.body.status).toBe(200);
    expect(put.body).toEqual({ code: 200, status: "Success", results: {} });
    expect(await deviceState(deviceId)).toBe("active");
    expect(await agentRow(agentId)).toMatchObject({ active: 1 });
    expect((await challengeRows(agentId)).map((c) => c.outcome)).toEqual(["activated"]);
    expect(await auditActions(agentId)).toEqual([]); // success is in the device's history, not the audit log
    const events = await (reg as TestRegistrar).db.all<{ event: string }>(
      "SELECT event FROM device_events WHERE device_id = ? ORDER BY id",
      [deviceId],
    );
    expect(events.map((e) => e.event)).toEqual(["pre-registered", "registered", "active"]);

    const got = await call("GET", `/v2.2/agents/${agentId}`, undefined, await adminHeaders(["devices:read"]));
    expect(got.status).toBe(200);
    expect(got.body.results).toMatchObject({
      aik_tpm: b64(tpm.aikTpm),
      ek_tpm: b64(tpm.ekTpm),
      ekcert: b64(tpm.certDer),
      ip: "127.0.0.1",
      port: 9002,
      regcount: 1,
      active: true,
    });
    const list = await call("GET", "/v2.2/agents", undefined, await adminHeaders(["devices:read"]));
    expect(list.body.results).toEqual({ uuids: [agentId] });
  });

  it("activates through the older PUT /v{ver}/agents/{id} form too, and accepts a PEM ekcert and a string port", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const pem = `-----BEGIN CERTIFICATE-----\n${b64(tpm.certDer)
      .match(/.{1,64}/g)
      ?.join("\n")}\n-----END CERTIFICATE-----\n`;
    const posted = await register("agent-pem", tpm, { ekcert: pem, port: "9002" });
    expect(posted.status, posted.body.status).toBe(200);
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    const put = await call("PUT", "/v2.6/agents/agent-pem", {
      auth_tag: keylimeAuthTag(challenge, "agent-pem"),
    });
    expect(put.status, put.body.status).toBe(200);
    expect(await agentRow("agent-pem")).toMatchObject({ active: 1 });
  });

  it("re-registers the same agent with the same EK and AK: a new challenge, regcount 2, inactive until re-activated", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    expect((await registerAndActivate("agent-again", tpm)).status).toBe(200);

    const again = await register("agent-again", tpm);
    expect(again.status, again.body.status).toBe(200);
    expect(await agentRow("agent-again")).toMatchObject({ active: 0, regcount: 2 });
    expect(await deviceState(deviceId)).toBe("registered");
    const notYet = await call("GET", "/v2.1/agents/agent-again", undefined, await adminHeaders());
    expect(notYet.status).toBe(404);

    const challenge = softActivate(tpm, again.body.results["blob"] as string);
    const put = await call("PUT", "/v2.1/agents/agent-again/activate", {
      auth_tag: keylimeAuthTag(challenge, "agent-again"),
    });
    expect(put.status, put.body.status).toBe(200);
    expect(await agentRow("agent-again")).toMatchObject({ active: 1, regcount: 2 });
    expect(await deviceState(deviceId)).toBe("active");
  });

  it("re-registration records what changed: a reissued EK certificate, then only a new address", async () => {
    // Not pre-registered, so the certificate may change: the registrar keeps the agent's row as
    // sent last, whether the re-registration rewrites its evidence or only its details.
    await registrar({ requirePreRegistration: false });
    const tpm = await softTpm();
    expect((await registerAndActivate("agent-renewed", tpm)).status).toBe(200);
    const evidence = async () => {
      const row = await (reg as TestRegistrar).db.get<{
        ekcert: Uint8Array;
        ek_tpm: Uint8Array;
        aik_tpm: Uint8Array;
        ip: string;
        port: number;
        regcount: number;
        active: number;
      }>("SELECT ekcert, ek_tpm, aik_tpm, ip, port, regcount, active FROM agents WHERE agent_id = ?", [
        "agent-renewed",
      ]);
      return row && { ...row, ekcert: b64(row.ekcert), ek_tpm: b64(row.ek_tpm), aik_tpm: b64(row.aik_tpm) };
    };
    const reissued = await issueEkCert({
      issuer: fleet.pki.vendorA.rsaIntermediate,
      ekPublicKey: new Uint8Array(tpm.ekPublicKey.export({ format: "der", type: "spki" })),
    });
    expect(b64(reissued)).not.toBe(b64(tpm.certDer));

    const sent = { ekcert: b64(reissued), ek_tpm: b64(tpm.ekTpm), aik_tpm: b64(tpm.aikTpm), active: 0 };

    const withNewCert = await register("agent-renewed", { ...tpm, certDer: reissued }, { ip: "10.0.0.7" });
    expect(withNewCert.status, withNewCert.body.status).toBe(200);
    expect(await evidence()).toEqual({ ...sent, ip: "10.0.0.7", port: 9002, regcount: 2 });

    const sameEvidence = await register("agent-renewed", { ...tpm, certDer: reissued }, { port: 9010 });
    expect(sameEvidence.status, sameEvidence.body.status).toBe(200);
    expect(await evidence()).toEqual({ ...sent, ip: "127.0.0.1", port: 9010, regcount: 3 });
  });

  it("supersedes an unanswered challenge when the agent registers again", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const first = await register("agent-twice", tpm);
    expect((await register("agent-twice", tpm)).status).toBe(200);
    const stale = softActivate(tpm, first.body.results["blob"] as string);
    const put = await call("PUT", "/v2.1/agents/agent-twice/activate", {
      auth_tag: keylimeAuthTag(stale, "agent-twice"),
    });
    expect(put.status).toBe(403);
    expect(put.body.results["error"]).toBe("AUTH_TAG_MISMATCH");
    expect((await challengeRows("agent-twice")).map((c) => c.outcome)).toEqual(["superseded", "wrong-tag"]);
  });
});

describe("admission refusals", () => {
  it("refuses a TPM that was not pre-registered (403, reason in status) and stores nothing", async () => {
    await registrar();
    const tpm = await softTpm();
    const r = await register("stranger", tpm);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe(403);
    expect(r.body.status).toMatch(/not pre-registered/);
    expect(r.body.status).toContain(tpm.ekPubSha256);
    expect(r.body.results["error"]).toBe("NOT_PRE_REGISTERED");
    expect(await agentRow("stranger")).toBeUndefined();
    expect(await challengeRows("stranger")).toEqual([]);
    expect(reg?.registrar.metrics.expose()).toMatch(
      /registrar_registrations_total\{step="post",outcome="NOT_PRE_REGISTERED"\} 1/,
    );
  });

  it("refuses a revoked device (403) and leaves it revoked", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    await reg?.db.write((tx) => revokeDevice(tx, deviceId, "reported stolen"));
    const r = await register("revoked-agent", tpm);
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("DEVICE_REVOKED");
    expect(r.body.status).toMatch(/is revoked \(reported stolen\)/);
    expect(await deviceState(deviceId)).toBe("revoked");
    expect(await agentRow("revoked-agent")).toBeUndefined();
  });

  it("refuses an ek_tpm that differs from the EK public area recorded at capture (same key, another policy)", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const otherPolicy = rsaPublicArea(tpm.ekPublicKey, {
      ...EK_TEMPLATES["L-1"].public,
      authPolicy: new Uint8Array(32).fill(0x5a),
    });
    const r = await register("ek-tpm-changed", { ...tpm, ekTpm: encodePublicArea(otherPolicy) });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("EK_TPM_MISMATCH");
    expect(r.body.status).toMatch(/ek_tpm differs from the EK public area recorded/);
  });

  it("refuses an ekcert that differs from the certificate recorded at capture", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const reissued = await issueEkCert({
      issuer: fleet.pki.vendorA.rsaIntermediate,
      ekPublicKey: new Uint8Array(tpm.ekPublicKey.export({ format: "der", type: "spki" })),
    });
    const r = await register("ekcert-changed", { ...tpm, certDer: reissued });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("EK_CERT_MISMATCH");
    expect(r.body.status).toMatch(/ekcert \(serial [0-9a-f:]+\) differs from the EK certificate recorded/);
  });

  it("refuses an EK certificate issued by the rogue look-alike of vendor A's root", async () => {
    await registrar();
    const tpm = await softTpm({ vendor: "rogue" });
    await preRegister(tpm); // a dishonest or misconfigured station recorded it
    const r = await register("rogue-agent", tpm);
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toMatch(/^EK_CHAIN_/);
    expect(r.body.status).toMatch(/does not chain to a trusted manufacturer CA/);
    expect(await agentRow("rogue-agent")).toBeUndefined();
  });

  it("refuses an EK certificate that certifies another key than ek_tpm", async () => {
    await registrar();
    const tpm = await softTpm();
    const other = await softTpm();
    await preRegister(tpm, { cert: other.certDer });
    const r = await register("foreign-cert", { ...tpm, certDer: other.certDer });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("EK_CERT_KEY_MISMATCH");
    expect(r.body.status).toContain(other.ekPubSha256);
  });

  it("refuses a registration without an EK certificate when none was recorded either", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm, { cert: null });
    const r = await register("no-cert", tpm, { ekcert: null });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("HASH_ONLY_NOT_ALLOWED");
    expect(r.body.status).toMatch(/allow-list mode .*allowHashOnly.* is off/);
  });

  it("uses the certificate recorded at capture when the agent sends none", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const posted = await register("cert-from-manifest", tpm, { ekcert: null });
    expect(posted.status, posted.body.status).toBe(200);
  });

  it("refuses an AK with decrypt set (400) and names the attribute", async () => {
    await registrar();
    const tpm = await softTpm({ akAttributes: AK_TEMPLATE.objectAttributes | TPMA_OBJECT.decrypt });
    await preRegister(tpm);
    const r = await register("decrypting-ak", tpm);
    expect(r.status).toBe(400);
    expect(r.body.results["error"]).toBe("AK_ATTRIBUTES_INVALID");
    expect(r.body.status).toMatch(/decrypt is set/);
    expect(await agentRow("decrypting-ak")).toBeUndefined();
  });

  it("refuses an AK whose private part came from outside the TPM (sensitiveDataOrigin clear)", async () => {
    await registrar();
    const tpm = await softTpm({
      akAttributes: AK_TEMPLATE.objectAttributes & ~TPMA_OBJECT.sensitiveDataOrigin,
    });
    await preRegister(tpm);
    const r = await register("imported-ak", tpm);
    expect(r.status).toBe(400);
    expect(r.body.status).toMatch(/sensitiveDataOrigin is clear/);
  });

  it("refuses the same agent id re-registering with another AK, and keeps the first registration", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    expect((await registerAndActivate("agent-ak", tpm)).status).toBe(200);
    const otherAk = await softAk();
    const r = await register("agent-ak", { ...tpm, ...otherAk });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("AGENT_KEYS_CHANGED");
    expect(r.body.status).toMatch(/already registered with other keys \(AK /);
    const row = await agentRow("agent-ak");
    expect(row).toMatchObject({ active: 1, regcount: 1 });
    expect(Buffer.from(row?.aik_tpm ?? []).equals(Buffer.from(tpm.aikTpm))).toBe(true);
  });

  it("refuses the same agent id re-registering with another EK", async () => {
    await registrar();
    const tpm = await softTpm();
    const other = await softTpm();
    await preRegister(tpm);
    await preRegister(other);
    expect((await register("agent-ek", tpm)).status).toBe(200);
    const r = await register("agent-ek", { ...other, aikTpm: tpm.aikTpm, akName: tpm.akName });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("AGENT_KEYS_CHANGED");
    expect(r.body.status).toMatch(/\(EK /);
  });

  it("refuses an agent id outside the safe alphabet and an unsupported API version (400)", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const badId = await call("POST", "/v2.1/agents/..%2Fetc", postBody(tpm));
    expect(badId.status).toBe(400);
    expect(badId.body.results["error"]).toBe("AGENT_ID_INVALID");
    for (const ver of ["v1.0", "v3.0", "vx"]) {
      const r = await register("agent-version", tpm, {}, ver);
      expect(r.status).toBe(400);
      expect(r.body.results["error"]).toBe("API_VERSION_UNSUPPORTED");
      expect(r.body.status).toMatch(/is not supported by this registrar: use one of 2\.1, .*2\.6/);
    }
  });
});

describe("credential challenges", () => {
  it("refuses an answer after the challenge expired (clock moved 5 min on) and audits it", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    const posted = await register("late-agent", tpm);
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    clockOffsetMs = 300_000;
    const put = await call("PUT", "/v2.1/agents/late-agent/activate", {
      auth_tag: keylimeAuthTag(challenge, "late-agent"),
    });
    expect(put.status).toBe(403);
    expect(put.body.results["error"]).toBe("CHALLENGE_EXPIRED");
    expect(put.body.status).toMatch(/expired .* \(challenges last 300 s\); register again/);
    expect(await agentRow("late-agent")).toMatchObject({ active: 0 });
    expect(await deviceState(deviceId)).toBe("registered");
    expect((await challengeRows("late-agent")).map((c) => c.outcome)).toEqual(["expired"]);
    expect((await auditActions("late-agent")).map((a) => a.detail["reason"])).toEqual(["expired"]);
    expect(reg?.registrar.metrics.expose()).toMatch(
      /registrar_challenge_failures_total\{reason="expired"\} 1/,
    );
  });

  it("accepts an answer just before the challenge expires", async () => {
    await registrar({ challengeSeconds: 60 });
    const tpm = await softTpm();
    await preRegister(tpm);
    const posted = await register("prompt-agent", tpm);
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    clockOffsetMs = 58_000;
    const put = await call("PUT", "/v2.1/agents/prompt-agent/activate", {
      auth_tag: keylimeAuthTag(challenge, "prompt-agent"),
    });
    expect(put.status, put.body.status).toBe(200);
  });

  it("refuses a replayed auth_tag: a challenge is answered once", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const posted = await register("replay-agent", tpm);
    const tag = keylimeAuthTag(softActivate(tpm, posted.body.results["blob"] as string), "replay-agent");
    expect((await call("PUT", "/v2.1/agents/replay-agent/activate", { auth_tag: tag })).status).toBe(200);
    const replay = await call("PUT", "/v2.1/agents/replay-agent/activate", { auth_tag: tag });
    expect(replay.status).toBe(403);
    expect(replay.body.results["error"]).toBe("CHALLENGE_USED");
    expect(replay.body.status).toMatch(/already answered: this auth_tag is a replay/);
    expect(await auditActions("replay-agent")).toEqual([
      { action: "agent.activate.failed", detail: expect.objectContaining({ reason: "replayed" }) },
    ]);
  });

  it("refuses a wrong auth_tag: the session is used up and audited; the agent and the device stay", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    const posted = await register("wrong-agent", tpm);
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    const wrong = keylimeAuthTag(challenge, "another-agent");
    const put = await call("PUT", "/v2.1/agents/wrong-agent/activate", { auth_tag: wrong });
    expect(put.status).toBe(403);
    expect(put.body.results["error"]).toBe("AUTH_TAG_MISMATCH");
    expect(put.body.status).toMatch(/auth_tag does not match the challenge of agent wrong-agent/);

    expect(await deviceState(deviceId)).toBe("registered");
    expect(await agentRow("wrong-agent")).toMatchObject({ active: 0 });
    const audit = await auditActions("wrong-agent");
    expect(audit).toEqual([
      {
        action: "agent.activate.failed",
        detail: expect.objectContaining({
          reason: "wrong-tag",
          code: "AUTH_TAG_MISMATCH",
          device_id: deviceId,
        }),
      },
    ]);
    expect(reg?.registrar.metrics.expose()).toMatch(
      /registrar_challenge_failures_total\{reason="wrong-tag"\} 1/,
    );

    // The right tag comes too late for that session…
    const right = await call("PUT", "/v2.1/agents/wrong-agent/activate", {
      auth_tag: keylimeAuthTag(challenge, "wrong-agent"),
    });
    expect(right.status).toBe(403);
    expect(right.body.results["error"]).toBe("CHALLENGE_USED");
    // …but the device may register again and succeed.
    expect((await registerAndActivate("wrong-agent", tpm)).status).toBe(200);
    expect(await deviceState(deviceId)).toBe("active");
  });

  it("refuses the activation of a device revoked after its agent registered, and keeps it revoked", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    const posted = await register("revoked-later", tpm);
    await reg?.db.write((tx) => revokeDevice(tx, deviceId, "RMA"));
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    const put = await call("PUT", "/v2.1/agents/revoked-later/activate", {
      auth_tag: keylimeAuthTag(challenge, "revoked-later"),
    });
    expect(put.status).toBe(403);
    expect(put.body.results["error"]).toBe("DEVICE_REVOKED");
    expect(await deviceState(deviceId)).toBe("revoked");
    expect(await agentRow("revoked-later")).toMatchObject({ active: 0 });
    expect((await challengeRows("revoked-later")).map((c) => c.outcome)).toEqual(["refused"]);
    expect((await auditActions("revoked-later")).map((a) => a.detail["reason"])).toEqual(["revoked"]);
  });

  it("registers and activates many agents at once (their transactions share commits, not state)", async () => {
    await registrar();
    const tpms = await Promise.all(Array.from({ length: 12 }, () => softTpm()));
    for (const tpm of tpms) await preRegister(tpm);
    const puts = await Promise.all(tpms.map((tpm, i) => registerAndActivate(`crowd-${i}`, tpm)));
    expect(puts.map((p) => p.status)).toEqual(tpms.map(() => 200));
    const list = await call("GET", "/v2.1/agents", undefined, await adminHeaders(["devices:read"]));
    expect((list.body.results["uuids"] as string[]).length).toBe(12);
  });

  it("refuses an auth_tag that is not 96 hex digits (400) without using the session", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const posted = await register("typo-agent", tpm);
    const bad = await call("PUT", "/v2.1/agents/typo-agent/activate", { auth_tag: "zz" });
    expect(bad.status).toBe(400);
    expect(bad.body.results["error"]).toBe("AUTH_TAG_MALFORMED");
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    const put = await call("PUT", "/v2.1/agents/typo-agent/activate", {
      auth_tag: keylimeAuthTag(challenge, "typo-agent"),
    });
    expect(put.status).toBe(200);
  });

  it("refuses to activate an agent that never registered (404)", async () => {
    await registrar();
    const put = await call("PUT", "/v2.1/agents/ghost/activate", { auth_tag: "a".repeat(96) });
    expect(put.status).toBe(404);
    expect(put.body.results["error"]).toBe("AGENT_NOT_FOUND");
  });
});

describe("policy toggles", () => {
  it("admits a TPM pre-registered by ek_pub_sha256 alone in the allow-list mode", async () => {
    await registrar({ allowHashOnly: true });
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm, { ekPub: null, cert: null });
    const posted = await register("hash-only", tpm, { ekcert: null });
    expect(posted.status, posted.body.status).toBe(200);
    const challenge = softActivate(tpm, posted.body.results["blob"] as string);
    const put = await call("PUT", "/v2.1/agents/hash-only/activate", {
      auth_tag: keylimeAuthTag(challenge, "hash-only"),
    });
    expect(put.status).toBe(200);
    expect(await deviceState(deviceId)).toBe("active");
  });

  it("refuses an unknown TPM without an EK certificate while requireEkCert is on", async () => {
    await registrar({ requirePreRegistration: false });
    const tpm = await softTpm();
    const r = await register("no-cert-unknown", tpm, { ekcert: null });
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("EK_CERT_MISSING");
  });

  it("with both toggles off admits an unknown TPM without a certificate, as keylime does (device_id null)", async () => {
    await registrar({ requirePreRegistration: false, requireEkCert: false });
    const tpm = await softTpm({ vendor: "rogue" });
    const put = await registerAndActivate("keylime-level", { ...tpm });
    expect(put.status, put.body.status).toBe(200);
    expect(await agentRow("keylime-level")).toMatchObject({ device_id: null, active: 1 });
    const unlisted = await auditActions("keylime-level");
    expect(unlisted.map((a) => a.action)).toEqual(["agent.register.unlisted"]);
  });

  it("still refuses a revoked device with both toggles off", async () => {
    await registrar({ requirePreRegistration: false, requireEkCert: false });
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    await reg?.db.write((tx) => revokeDevice(tx, deviceId, "decommissioned"));
    const r = await register("revoked-keylime-level", tpm);
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toBe("DEVICE_REVOKED");
  });
});

describe("rate limits", () => {
  it("answers 429 with Retry-After once a source address is over its limit", async () => {
    await registrar({ rateLimitPerAddress: { requests: 3, windowSeconds: 60 } });
    const tpm = await softTpm();
    for (let i = 0; i < 3; i++) expect((await register(`addr-${i}`, tpm)).status).toBe(403);
    const r = await register("addr-3", tpm);
    expect(r.status).toBe(429);
    expect(r.body.results["error"]).toBe("RATE_LIMITED");
    expect(r.body.status).toMatch(/too many requests from source address 127\.0\.0\.1: at most 3 per 60 s/);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(r.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(reg?.registrar.metrics.expose()).toMatch(/registrar_rate_limited_total\{limit="address"\} 1/);
    clockOffsetMs = 61_000; // the next window
    expect((await register("addr-4", tpm)).status).toBe(403);
  });

  it("answers 429 once one EK is over its limit, while other EKs still register", async () => {
    await registrar({ rateLimitPerEk: { requests: 2, windowSeconds: 60 } });
    const tpm = await softTpm();
    const other = await softTpm();
    await preRegister(tpm);
    await preRegister(other);
    expect((await register("ek-flood", tpm)).status).toBe(200);
    expect((await register("ek-flood", tpm)).status).toBe(200);
    const r = await register("ek-flood", tpm);
    expect(r.status).toBe(429);
    expect(r.body.status).toContain(`too many requests from EK ${tpm.ekPubSha256.slice(0, 16)}`);
    expect(r.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await register("ek-calm", other)).status).toBe(200);
    expect(reg?.registrar.metrics.expose()).toMatch(/registrar_rate_limited_total\{limit="ek"\} 1/);
  });
});

describe("hostile bodies", () => {
  it("answers 4xx to garbage, missing fields, bad base64, malformed TPM structures and a 100 MB body, and keeps serving", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    const cases: [string, string | object, number, string][] = [
      ["garbage JSON", "{not json", 400, "BODY_NOT_JSON"],
      ["a JSON array", "[1,2]", 400, "BODY_NOT_OBJECT"],
      ["a missing aik_tpm", { ek_tpm: b64(tpm.ekTpm), ekcert: b64(tpm.certDer) }, 400, "FIELD_MISSING"],
      ["a wrong base64", postBody(tpm, { ek_tpm: "AAEC$$==" }), 400, "FIELD_NOT_BASE64"],
      ["a number for ek_tpm", postBody(tpm, { ek_tpm: 12 }), 400, "FIELD_TYPE"],
      [
        "garbage in ek_tpm",
        postBody(tpm, { ek_tpm: b64(new Uint8Array([0, 4, 1, 2, 3, 4])) }),
        400,
        "EK_TPM_MALFORMED",
      ],
      ["an AK where the EK goes", postBody(tpm, { ek_tpm: b64(tpm.aikTpm) }), 400, "EK_NOT_STORAGE_KEY"],
      [
        "garbage in ekcert",
        postBody(tpm, { ekcert: b64(new Uint8Array([0x30, 3, 1, 2])) }),
        400,
        "EK_CERT_MALFORMED",
      ],
      ["a port out of range", postBody(tpm, { port: 70000 }), 400, "FIELD_TYPE"],
    ];
    for (const [what, body, status, code] of cases) {
      const r = await call("POST", "/v2.1/agents/hostile", body);
      expect(r.status, what).toBe(status);
      expect(r.body.results["error"], what).toBe(code);
    }
    const put = await call("PUT", "/v2.1/agents/hostile/activate", "{}");
    expect(put.status).toBe(400);
    expect(put.body.results["error"]).toBe("FIELD_MISSING");

    const huge = new Uint8Array(100 * 1024 * 1024).fill(0x20);
    const res = await fetch(`${reg?.url}/v2.1/agents/hostile`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: huge,
    }).catch((e: unknown) => e);
    if (typeof (res as Response).status === "number") {
      const answer = res as Response;
      expect(answer.status).toBe(413);
      expect(((await answer.json()) as Reply["body"]).results["error"]).toBe("BODY_TOO_LARGE");
    } else {
      // The server may close the connection before the client has sent 100 MB.
      expect(String((res as Error).cause ?? res)).toMatch(/EPIPE|ECONNRESET|closed|terminated/i);
    }
    // The same without Content-Length (chunked): the limit holds while reading.
    let sent = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 100 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const chunked = await fetch(`${reg?.url}/v2.1/agents/hostile`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit).catch((e: unknown) => e);
    if (typeof (chunked as Response).status === "number") expect((chunked as Response).status).toBe(413);
    else expect(String((chunked as Error).cause ?? chunked)).toMatch(/EPIPE|ECONNRESET|closed|terminated/i);
    expect(sent).toBeLessThan(100 * 1024 * 1024);

    expect(await agentRow("hostile")).toBeUndefined();
    expect((await call("GET", "/healthz")).status).toBe(200);
    expect((await register("hostile", tpm)).status).toBe(200);
  });
});

describe("admin routes", () => {
  it("needs a token (401) with the right scope (403) to list, show or delete agents", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    expect((await registerAndActivate("admin-agent", tpm)).status).toBe(200);

    const noToken = await call("GET", "/v2.1/agents/admin-agent");
    expect(noToken.status).toBe(401);
    expect(noToken.body.status).toMatch(/needs a bearer token with scope devices:read/);
    expect((await call("GET", "/v2.1/agents")).status).toBe(401);
    expect((await call("DELETE", "/v2.1/agents/admin-agent")).status).toBe(401);
    expect(
      (await call("GET", "/v2.1/agents", undefined, { authorization: "Bearer rgt_nope_nope" })).status,
    ).toBe(401);

    const wrongScope = await call(
      "GET",
      "/v2.1/agents/admin-agent",
      undefined,
      await adminHeaders(["cas:write"]),
    );
    expect(wrongScope.status).toBe(403);
    expect(wrongScope.body.results["error"]).toBe("SCOPE_MISSING");
    const readOnly = await adminHeaders(["devices:read"]);
    const cannotDelete = await call("DELETE", "/v2.1/agents/admin-agent", undefined, readOnly);
    expect(cannotDelete.status).toBe(403);
    expect(cannotDelete.body.status).toMatch(/lacks scope devices:revoke/);
    expect(await agentRow("admin-agent")).toBeDefined();
  });

  it("answers 404 for an agent that registered but is not active yet", async () => {
    await registrar();
    const tpm = await softTpm();
    await preRegister(tpm);
    expect((await register("pending-agent", tpm)).status).toBe(200);
    const headers = await adminHeaders(["devices:read"]);
    const r = await call("GET", "/v2.1/agents/pending-agent", undefined, headers);
    expect(r.status).toBe(404);
    expect(r.body.status).toMatch(/not yet active/);
    expect((await call("GET", "/v2.1/agents", undefined, headers)).body.results).toEqual({ uuids: [] });
  });

  it("deletes an agent (audited); the device's pre-registration stays and it may register again", async () => {
    await registrar();
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    expect((await registerAndActivate("gone-agent", tpm)).status).toBe(200);
    const headers = await adminHeaders(["devices:revoke", "devices:read"]);
    const del = await call("DELETE", "/v2.1/agents/gone-agent", undefined, headers);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ code: 200, status: "Success", results: {} });
    expect(await agentRow("gone-agent")).toBeUndefined();
    expect((await call("GET", "/v2.1/agents/gone-agent", undefined, headers)).status).toBe(404);
    expect((await call("DELETE", "/v2.1/agents/gone-agent", undefined, headers)).status).toBe(404);
    expect((await auditActions("gone-agent")).map((a) => a.action)).toContain("agent.delete");
    expect(await deviceState(deviceId)).toBe("active");
    expect((await registerAndActivate("gone-agent", tpm)).status).toBe(200);
  });
});

describe("the registration core, as the offline flow calls it", () => {
  it("issues an offline challenge that lasts offlineSeconds and is answered by its session", async () => {
    const r = await registrar({ offlineSeconds: 7 * 24 * 3600 });
    const tpm = await softTpm();
    const deviceId = await preRegister(tpm);
    const begun = await beginRegistration(
      r.registrar,
      { agentId: "offline-agent", ekTpm: tpm.ekTpm, ekcert: tpm.certDer, aikTpm: tpm.aikTpm },
      { kind: "offline" },
    );
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(begun.expiresAt).toBeGreaterThanOrEqual(nowSeconds + 7 * 24 * 3600 - 2);
    expect(begun.expiresAt).toBeLessThanOrEqual(nowSeconds + 7 * 24 * 3600 + 2);
    expect(begun.session).toMatch(/^[0-9a-f]{32}$/);
    expect(begun.deviceId).toBe(deviceId);

    // The online PUT does not answer an offline session…
    const challenge = softActivate(tpm, Buffer.from(begun.blob).toString("base64"));
    const tag = keylimeAuthTag(challenge, "offline-agent");
    const online = await call("PUT", "/v2.1/agents/offline-agent/activate", { auth_tag: tag });
    expect(online.status).toBe(403);
    expect(online.body.results["error"]).toBe("CHALLENGE_MISSING");

    // …a day later, the response file does.
    clockOffsetMs = 24 * 3600 * 1000;
    const done = await completeActivation(r.registrar, "offline-agent", tag, { session: begun.session });
    expect(done).toEqual({ agentId: "offline-agent", deviceId, session: begun.session });
    expect(await deviceState(deviceId)).toBe("active");

    const again = await completeActivation(r.registrar, "offline-agent", tag, {
      session: begun.session,
    }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(RegistrationError);
    expect((again as RegistrationError).code).toBe("CHALLENGE_USED");
  });

  it("refuses a device revoked after the policy check, in a group commit with another agent, and stores nothing of it", async () => {
    const r = await registrar();
    const stolen = await softTpm();
    const fine = await softTpm();
    const stolenId = await preRegister(stolen);
    const fineId = await preRegister(fine);
    // Both registrations pass the policy; then the device is revoked, and both writes are
    // queued in the same turn, so they share one transaction.
    let revoking: Promise<void> | undefined;
    const db: SqlDatabase = {
      path: r.db.path,
      get: (sql, params) => r.db.get(sql, params),
      all: (sql, params) => r.db.all(sql, params),
      batch: (sql, row) => r.db.batch(sql, row),
      close: () => r.db.close(),
      write: (fn, options) => {
        revoking ??= r.db.write((tx) => revokeDevice(tx, stolenId, "reported stolen"));
        return revoking.then(() => r.db.write(fn, options));
      },
    };
    const racing = new Registrar(db, { config: r.registrar.config });
    const [a, b] = await Promise.allSettled(
      [
        { agentId: "agent-stolen", tpm: stolen },
        { agentId: "agent-fine", tpm: fine },
      ].map(({ agentId, tpm }) =>
        beginRegistration(
          racing,
          { agentId, ekTpm: tpm.ekTpm, ekcert: tpm.certDer, aikTpm: tpm.aikTpm },
          { kind: "online" },
        ),
      ),
    );
    expect(a?.status).toBe("rejected");
    expect(((a as PromiseRejectedResult).reason as RegistrationError).code).toBe("DEVICE_REVOKED");
    expect(b?.status).toBe("fulfilled");

    expect(await agentRow("agent-stolen")).toBeUndefined();
    expect(await challengeRows("agent-stolen")).toEqual([]);
    expect(await deviceState(stolenId)).toBe("revoked");
    const events = (id: number) =>
      r.db.all<{ event: string }>("SELECT event FROM device_events WHERE device_id = ? ORDER BY id", [id]);
    expect((await events(stolenId)).map((e) => e.event)).not.toContain("registered");

    expect(await agentRow("agent-fine")).toMatchObject({ device_id: fineId, regcount: 1, active: 0 });
    expect(await challengeRows("agent-fine")).toHaveLength(1);
    expect(await deviceState(fineId)).toBe("registered");
    expect((await events(fineId)).map((e) => e.event)).toContain("registered");
  });

  it("refuses a session that belongs to another agent", async () => {
    const r = await registrar();
    const tpm = await softTpm();
    const other = await softTpm();
    await preRegister(tpm);
    await preRegister(other);
    const mine = await beginRegistration(
      r.registrar,
      { agentId: "agent-one", ekTpm: tpm.ekTpm, ekcert: tpm.certDer, aikTpm: tpm.aikTpm },
      { kind: "offline" },
    );
    await beginRegistration(
      r.registrar,
      { agentId: "agent-two", ekTpm: other.ekTpm, ekcert: other.certDer, aikTpm: other.aikTpm },
      { kind: "offline" },
    );
    const tag = keylimeAuthTag(softActivate(tpm, Buffer.from(mine.blob).toString("base64")), "agent-two");
    const err = await completeActivation(r.registrar, "agent-two", tag, { session: mine.session }).catch(
      (e: unknown) => e,
    );
    expect((err as RegistrationError).code).toBe("CHALLENGE_MISSING");
    expect((await challengeRows("agent-one")).map((c) => c.used_at)).toEqual([null]);
  });
});
