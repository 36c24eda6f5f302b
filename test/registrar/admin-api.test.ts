// The admin API (/api/v1) and the ops routes on a real server on loopback with a real sqlite
// file: authentication and scopes, stations, CAs, SecL-shaped tpm-endorsements, devices with
// their history, revocation, the audit chain, and hostile bodies.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicKeyPem } from "../../shared/formats/keys.js";
import {
  createTestPki,
  issueEkCert,
  runDir,
  startTestRegistrar,
  type TestPki,
  type TestRegistrar,
} from "../harness/index.js";

let pki: TestPki;
let pkiDir: string;
let reg: TestRegistrar;
let admin: string;

beforeAll(async () => {
  pkiDir = await mkdtemp(join(runDir(), "admin-api-pki-"));
  pki = await createTestPki(pkiDir);
  reg = await startTestRegistrar();
  admin = await reg.token();
  await reg.trustCaDir(pki.trustedCaDir);
}, 60_000);

afterAll(async () => {
  await reg?.close();
  await rm(pkiDir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: { code: number; status: string; results: Record<string, unknown> };
}

async function call(
  method: string,
  path: string,
  options: { token?: string | null; json?: unknown; body?: RequestInit["body"] } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? admin : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const r = await fetch(`${reg.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: r.status, body: (await r.json()) as Answer["body"] };
}

/** A software EK certificate from vendor A's RSA intermediate (or the rogue root). */
async function ekCertPem(vendor: "A" | "rogue" = "A"): Promise<string> {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const issuer = vendor === "A" ? pki.vendorA.eccIntermediate : pki.rogue.root;
  const der = await issueEkCert({ issuer, ekPublicKey: publicKey.export({ format: "der", type: "spki" }) });
  return `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString("base64")}\n-----END CERTIFICATE-----\n`;
}

describe("ops routes", () => {
  it("answers /healthz, /metrics and /openapi.json without a token", async () => {
    const h = await call("GET", "/healthz", { token: null });
    expect(h).toEqual({ status: 200, body: { code: 200, status: "Success", results: { healthy: true } } });
    const m = await fetch(`${reg.url}/metrics`);
    expect(m.headers.get("content-type")).toMatch(/^text\/plain; version=0.0.4/);
    expect(await m.text()).toMatch(
      /^registrar_request_duration_seconds_count\{route="GET \/healthz",status="200"\} \d+$/m,
    );
    const o = (await (await fetch(`${reg.url}/openapi.json`)).json()) as { openapi: string };
    expect(o.openapi).toBe("3.1.0");
  });

  it("answers an unknown route with a JSON 404", async () => {
    const r = await call("GET", "/nothing/here");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: 404, results: { error: "NOT_FOUND" } });
  });
});

describe("admin authentication", () => {
  it("401 without a token or with a bad one, 403 without the scope", async () => {
    expect((await call("GET", "/api/v1/devices", { token: null })).status).toBe(401);
    expect(
      (
        await call("GET", "/api/v1/devices", {
          token: "rgt_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        })
      ).status,
    ).toBe(401);
    expect((await call("GET", "/api/v1/devices", { token: "not a token" })).status).toBe(401);
    const readOnly = await reg.token(["devices:read"]);
    expect((await call("GET", "/api/v1/devices", { token: readOnly })).status).toBe(200);
    const r = await call("POST", "/api/v1/devices/1/restore", { token: readOnly });
    expect(r.status).toBe(403);
    expect(r.body.status).toMatch(/lacks scope devices:revoke/);
  });

  it("refuses a revoked or expired token", async () => {
    const { revokeToken, createToken } = await import("../../cloud/store/tokens.js");
    const t = await reg.db.write((tx) =>
      createToken(tx, "short", ["devices:read"], { expiresAt: Math.floor(Date.now() / 1000) - 1 }),
    );
    expect((await call("GET", "/api/v1/devices", { token: t.token })).status).toBe(401);
    const live = await reg.db.write((tx) => createToken(tx, "live", ["devices:read"]));
    expect((await call("GET", "/api/v1/devices", { token: live.token })).status).toBe(200);
    await reg.db.write((tx) => revokeToken(tx, live.info.id));
    expect((await call("GET", "/api/v1/devices", { token: live.token })).status).toBe(401);
  });
});

describe("stations", () => {
  it("trusts a station once, lists it, and retires it", async () => {
    const pem = publicKeyPem(generateKeyPairSync("ed25519").publicKey);
    const added = await call("POST", "/api/v1/stations", { json: { name: "line-7", public_key: pem } });
    expect(added.status).toBe(201);
    expect(added.body.results).toMatchObject({ name: "line-7", retired_at: null, last_seq: null });
    expect(
      (await call("POST", "/api/v1/stations", { json: { name: "line-8", public_key: pem } })).status,
    ).toBe(409);
    expect(
      (await call("POST", "/api/v1/stations", { json: { name: "bad name!", public_key: pem } })).status,
    ).toBe(409);
    const x = publicKeyPem(generateKeyPairSync("x25519").publicKey);
    expect((await call("POST", "/api/v1/stations", { json: { name: "line-9", public_key: x } })).status).toBe(
      400,
    );
    const list = await call("GET", "/api/v1/stations");
    expect((list.body.results.stations as { name: string }[]).map((s) => s.name)).toContain("line-7");
    const retired = await call("POST", "/api/v1/stations/line-7/retire");
    expect(retired.status).toBe(200);
    expect(retired.body.results.retired_at).toEqual(expect.any(Number));
    expect((await call("POST", "/api/v1/stations/line-7/retire")).status).toBe(409);
    expect((await call("POST", "/api/v1/stations/nope/retire")).status).toBe(404);
  });
});

describe("tpm-endorsements and devices", () => {
  it("pre-registers an EK certificate that chains, once; refuses a rogue one", async () => {
    const pem = await ekCertPem();
    const r = await call("POST", "/api/v1/tpm-endorsements", {
      json: {
        certificate: pem,
        hardware_uuid: "8a1c0e55-0000-4000-8000-000000000001",
        comment: "spare board",
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.results).toMatchObject({
      state: "pre-registered",
      source: "endorsement",
      comment: "spare board",
    });
    expect((await call("POST", "/api/v1/tpm-endorsements", { json: { certificate: pem } })).status).toBe(409);
    const rogue = await call("POST", "/api/v1/tpm-endorsements", {
      json: { certificate: await ekCertPem("rogue") },
    });
    expect(rogue.status).toBe(422);
    const bad = await call("POST", "/api/v1/tpm-endorsements", { json: { certificate: "AAAA" } });
    expect(bad.status).toBe(400);
    // Half a UTF-16 pair cannot be stored as text: refused, and nothing is pre-registered.
    const lone = await call("POST", "/api/v1/tpm-endorsements", {
      json: { certificate: await ekCertPem(), hardware_uuid: "board-\ud83d" },
    });
    expect([lone.status, lone.body.results.error]).toEqual([400, "FIELD_NOT_TEXT"]);
    expect(lone.body.status).toMatch(/hardware_uuid.*unpaired surrogate/);
    const listed = await call("GET", "/api/v1/devices");
    expect(JSON.stringify(listed.body.results)).not.toContain("board-");
    const wrongIssuer = await call("POST", "/api/v1/tpm-endorsements", {
      json: { certificate: await ekCertPem(), issuer: "CN=someone else" },
    });
    expect(wrongIssuer.status).toBe(400);
  });

  it("revokes and restores a device, with its history and an audit chain that verifies", async () => {
    const created = await call("POST", "/api/v1/tpm-endorsements", {
      json: { certificate: await ekCertPem() },
    });
    const id = created.body.results.id as number;
    const hash = (created.body.results.eks as { ek_pub_sha256: string }[])[0]!.ek_pub_sha256;
    expect((await call("POST", `/api/v1/devices/${id}/revoke`, { json: {} })).status).toBe(400);
    expect(
      (await call("POST", `/api/v1/devices/${hash}/revoke`, { json: { reason: "stolen" } })).status,
    ).toBe(200);
    expect((await call("POST", `/api/v1/devices/${id}/revoke`, { json: { reason: "again" } })).status).toBe(
      409,
    );
    const shown = await call("GET", `/api/v1/devices/${id}`);
    expect(shown.body.results).toMatchObject({ state: "revoked", revoked_reason: "stolen" });
    expect((shown.body.results.history as { event: string }[]).map((h) => h.event)).toEqual([
      "pre-registered",
      "revoked",
    ]);
    const listed = await call("GET", "/api/v1/devices?state=revoked");
    expect((listed.body.results.devices as { id: number }[]).map((d) => d.id)).toContain(id);
    const restored = await call("POST", `/api/v1/devices/${id}/restore`);
    expect(restored.body.results).toEqual({ id, state: "pre-registered" });
    expect((await call("GET", "/api/v1/devices/999999")).status).toBe(404);
    expect((await call("GET", "/api/v1/devices?state=bogus")).status).toBe(400);

    const audit = await call("GET", "/api/v1/audit?limit=3");
    const entries = audit.body.results.entries as { action: string; actor: string }[];
    expect(entries[0]).toMatchObject({
      action: "device.restore",
      actor: expect.stringMatching(/^token:[0-9a-f]{12}$/),
    });
    expect(entries[1]).toMatchObject({ action: "device.revoke" });
    const verify = await call("GET", "/api/v1/audit/verify");
    expect(verify.body.results).toMatchObject({ ok: true });
  });
});

describe("manufacturer CAs", () => {
  it("adds, lists and retires a CA", async () => {
    const other = await mkdtemp(join(runDir(), "admin-api-pki2-"));
    try {
      const pki2 = await createTestPki(other);
      const r = await call("POST", "/api/v1/cas", { json: { certificates: pki2.vendorB.root.certPem } });
      expect(r.status).toBe(201);
      const added = r.body.results.added as { id: string }[];
      expect(added).toHaveLength(1);
      const again = await call("POST", "/api/v1/cas", { json: { certificates: pki2.vendorB.root.certPem } });
      expect(again.body.results).toMatchObject({ added: [], unchanged: 1 });
      const listed = await call("GET", "/api/v1/cas");
      expect((listed.body.results.cas as { id: string }[]).map((c) => c.id)).toContain(added[0]!.id);
      expect((await call("POST", `/api/v1/cas/${added[0]!.id.slice(0, 12)}/retire`)).status).toBe(200);
      const after = await call("GET", "/api/v1/cas");
      expect((after.body.results.cas as { id: string }[]).map((c) => c.id)).not.toContain(added[0]!.id);
      expect((await call("POST", "/api/v1/cas", { json: { certificates: "garbage" } })).status).toBe(400);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("hostile bodies on the admin API", () => {
  it("answers 4xx with a JSON reason and keeps serving", async () => {
    const garbage = await call("POST", "/api/v1/stations", { body: "{not json", json: undefined });
    expect(garbage.status).toBe(400);
    expect(garbage.body.results.error).toBe("BODY_NOT_JSON");
    expect((await call("POST", "/api/v1/stations", { json: [1, 2] })).status).toBe(400);
    expect((await call("POST", "/api/v1/stations", { json: { name: "x" } })).body.results.error).toBe(
      "FIELD_MISSING",
    );
    const huge = new Uint8Array(100 * 1024 * 1024).fill(0x20);
    const big = await call("POST", "/api/v1/stations", { body: huge });
    expect(big.status).toBe(413);
    expect((await call("GET", "/healthz", { token: null })).status).toBe(200);
  });
});
