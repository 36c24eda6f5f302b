// The admin side of the keylime agent API over TLS (DESIGN §6): as keylime's tenant does, an
// mTLS client certificate from the configured admin CA may stand in for a bearer token on
// GET and DELETE; a certificate from any other CA, or none, may not. Certificates come from
// the openssl command line.

import { mkdtemp, readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueTlsCert, runDir, startTestRegistrar, type TestRegistrar } from "../harness/index.js";

let dir: string;
let reg: TestRegistrar;
const pem: Record<string, string> = {};

/** Issues NAME's certificate (issueTlsCert) and keeps its PEM files in `pem`. */
async function issue(name: string, cn: string, ext: string, ca?: string): Promise<void> {
  await issueTlsCert(dir, name, cn, ext, ca);
  for (const file of [`${name}.pem`, `${name}.key`]) pem[file] = await readFile(join(dir, file), "utf8");
}

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "agent-mtls-"));
  await issue("admin-ca", "registrar admin CA", "basicConstraints=critical,CA:true");
  await issue("other-ca", "some other CA", "basicConstraints=critical,CA:true");
  await issue("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth", "admin-ca");
  await issue("tenant", "keylime tenant", "extendedKeyUsage=clientAuth", "admin-ca");
  await issue("intruder", "keylime tenant", "extendedKeyUsage=clientAuth", "other-ca");
  reg = await startTestRegistrar({
    tls: {
      cert: pem["server.pem"] as string,
      key: pem["server.key"] as string,
      adminCa: pem["admin-ca.pem"] as string,
    },
  });
});

afterAll(async () => {
  await reg?.close();
});

/** One HTTPS request, optionally with a client certificate; resolves to status and envelope. */
function https(
  method: string,
  path: string,
  client?: "tenant" | "intruder",
): Promise<{ status: number; body: { status: string; results: Record<string, unknown> } }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${reg.url}${path}`,
      {
        method,
        ca: pem["admin-ca.pem"],
        ...(client ? { cert: pem[`${client}.pem`], key: pem[`${client}.key`] } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("admin routes of the agent API over TLS", () => {
  it("serves the agent API over TLS", async () => {
    expect(reg.url).toMatch(/^https:/);
    expect((await https("GET", "/version")).status).toBe(200);
  });

  it("accepts a client certificate from the admin CA instead of a token", async () => {
    const list = await https("GET", "/v2.1/agents", "tenant");
    expect(list.status, list.body.status).toBe(200);
    expect(list.body.results).toEqual({ uuids: [] });
    const missing = await https("DELETE", "/v2.1/agents/no-such-agent", "tenant");
    expect(missing.status).toBe(404);
  });

  it("refuses a client certificate from another CA, and no certificate, with 401", async () => {
    const intruder = await https("GET", "/v2.1/agents", "intruder");
    expect(intruder.status).toBe(401);
    expect(intruder.body.status).toMatch(
      /bearer token with scope devices:read or an admin client certificate/,
    );
    expect((await https("DELETE", "/v2.1/agents/x", "intruder")).status).toBe(401);
    expect((await https("GET", "/v2.1/agents")).status).toBe(401);
  });
});
