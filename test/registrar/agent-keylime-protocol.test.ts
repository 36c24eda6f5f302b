// Registration without our agent (issue 5, key acceptance): a harness TPM is registered with
// the registrar by tpm2-tools (tpm2_createek, tpm2_createak, tpm2_activatecredential) and plain
// HTTP requests, exactly as the keylime protocol says (DESIGN §6). Nothing of ours touches the
// TPM, and the expected values come from the tools and node:crypto.
import { createHash, createHmac, randomUUID } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { insertDevice } from "../../cloud/store/devices.js";
import {
  expectNoTransientHandles,
  runDir,
  type SimTpm,
  startTestRegistrar,
  type TestRegistrar,
  tpm2Text,
  useFleet,
} from "../harness/index.js";

const fleet = useFleet({
  board: { layout: "infineon" },
  nuvoton: { layout: "nuvoton" },
  rogue: { layout: "infineon", vendor: "rogue" },
});

let reg: TestRegistrar;

beforeAll(async () => {
  reg = await startTestRegistrar();
  await reg.trustCaDir(fleet.pki.trustedCaDir);
});

afterAll(async () => {
  await reg?.close();
});

afterEach(async () => {
  for (const sim of fleet.tpms) await expectNoTransientHandles(sim);
});

/**
 * One tpm2-tools step. Without a resource manager the tools leave what they load in the TPM,
 * and swtpm holds only 3 objects: flush transient objects after every step, on every path.
 */
async function tool(sim: SimTpm, dir: string, name: string, args: string[]): Promise<string> {
  try {
    return await tpm2Text(sim.tcti, name, args, { cwd: dir });
  } finally {
    await tpm2Text(sim.tcti, "tpm2_flushcontext", ["-t"], { cwd: dir });
  }
}

// TCG EK Credential Profile: PolicyA and PolicyC in SHA-384, for the H-3 EK (DESIGN §3).
const POLICY_A_SHA384 =
  "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e143e8bb1133824ccb431053871c6db53";
const POLICY_C_SHA384 =
  "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165";

interface ToolsKeys {
  dir: string;
  /** TPM2B_PUBLIC files written by tpm2_createek -u and tpm2_createak -u. */
  ekPub: Buffer;
  akPub: Buffer;
  /** SHA-256 of the EK's SPKI as tpm2_readpublic -f der writes it. */
  ekPubSha256: string;
  /** The EK certificate as tpm2_nvread reads it from NV. */
  ekCert: Buffer;
}

/** tpm2_createek + tpm2_createak (in the endorsement hierarchy, under the EK, as keylime does). */
async function toolsKeys(
  sim: SimTpm,
  ek: { g: "rsa" | "ecc384"; nv: string },
  ak: string[],
): Promise<ToolsKeys> {
  const dir = await mkdtemp(join(runDir(), "keylime-protocol-"));
  await tool(sim, dir, "tpm2_createek", ["-G", ek.g, "-c", "ek.ctx", "-u", "ek.pub"]);
  await tool(sim, dir, "tpm2_createak", [
    "-C",
    "ek.ctx",
    "-c",
    "ak.ctx",
    ...ak,
    "-u",
    "ak.pub",
    "-n",
    "ak.name",
  ]);
  await tool(sim, dir, "tpm2_readpublic", ["-c", "ek.ctx", "-f", "der", "-o", "ek.der"]);
  await tool(sim, dir, "tpm2_nvread", [ek.nv, "-C", "o", "-o", "ekcert.der"]);
  return {
    dir,
    ekPub: await readFile(join(dir, "ek.pub")),
    akPub: await readFile(join(dir, "ak.pub")),
    ekPubSha256: createHash("sha256")
      .update(await readFile(join(dir, "ek.der")))
      .digest("hex"),
    ekCert: await readFile(join(dir, "ekcert.der")),
  };
}

/**
 * tpm2_activatecredential through the EK's policy session: PolicySecret(endorsement), and for
 * a high-range EK PolicyOR(PolicyA, PolicyC) in SHA-384. Returns the recovered credential.
 */
async function toolsActivate(sim: SimTpm, dir: string, blobFile: string, high: boolean): Promise<Buffer> {
  const session = join(dir, "session.ctx");
  await tool(sim, dir, "tpm2_startauthsession", [
    "--policy-session",
    "-g",
    high ? "sha384" : "sha256",
    "-S",
    session,
  ]);
  try {
    await tool(sim, dir, "tpm2_policysecret", ["-S", session, "-c", "e"]);
    if (high) {
      await writeFile(join(dir, "policyA.bin"), Buffer.from(POLICY_A_SHA384, "hex"));
      await writeFile(join(dir, "policyC.bin"), Buffer.from(POLICY_C_SHA384, "hex"));
      await tool(sim, dir, "tpm2_policyor", ["-S", session, "-l", "sha384:policyA.bin,policyC.bin"]);
    }
    const out = join(dir, "challenge.bin");
    await tool(sim, dir, "tpm2_activatecredential", [
      "-c",
      "ak.ctx",
      "-C",
      "ek.ctx",
      "-i",
      blobFile,
      "-o",
      out,
      "-P",
      `session:${session}`,
    ]);
    return await readFile(out);
  } finally {
    await tool(sim, dir, "tpm2_flushcontext", [session]).catch(() => {});
  }
}

/** The device as the factory recorded it, inserted directly (the bundle import is not needed here). */
async function preRegister(keys: ToolsKeys, alg: string, template: string, certNv: number): Promise<number> {
  return reg.db.write((tx) =>
    insertDevice(tx, {
      serial: `SN-${keys.ekPubSha256.slice(0, 10)}`,
      hwUuid: randomUUID(),
      model: "swtpm-board",
      source: "manifest",
      station: null,
      capturedAt: Math.floor(Date.now() / 1000),
      tpm: { manufacturer: "id:00001014", vendor: "swtpm", fw: null },
      manifest: null,
      comment: null,
      eks: [
        {
          ekPubSha256: keys.ekPubSha256,
          alg,
          template,
          ekPub: new Uint8Array(keys.ekPub),
          cert: new Uint8Array(keys.ekCert),
          certNv,
        },
      ],
    }),
  );
}

interface Envelope {
  code: number;
  status: string;
  results: Record<string, unknown>;
}

async function http(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${reg.url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Envelope };
}

const registration = (keys: ToolsKeys) => ({
  ekcert: keys.ekCert.toString("base64"),
  ek_tpm: keys.ekPub.toString("base64"),
  aik_tpm: keys.akPub.toString("base64"),
  mtls_cert: null,
  ip: "127.0.0.1",
  port: 9002,
});

describe.each([
  {
    what: "an RSA-2048 EK (L-1) and an RSA AK",
    sim: "board" as const,
    ek: { g: "rsa" as const, nv: "0x01c00002" },
    ak: ["-G", "rsa", "-g", "sha256", "-s", "rsassa"],
    alg: "rsa2048",
    template: "L-1",
    high: false,
  },
  {
    what: "a P-384 EK (H-3, high-range policy) and an ECC AK",
    sim: "nuvoton" as const,
    ek: { g: "ecc384" as const, nv: "0x01c00016" },
    ak: ["-G", "ecc", "-g", "sha256", "-s", "ecdsa"],
    alg: "ecc-p384",
    template: "H-3",
    high: true,
  },
])("registration without our agent, with $what", ({ sim: simName, ek, ak, alg, template, high }) => {
  it("registers with tpm2-tools and plain HTTP; GET /v2.x/agents/{id} then shows the agent active", async () => {
    const sim = fleet.tpm(simName);
    const keys = await toolsKeys(sim, ek, ak);
    const deviceId = await preRegister(keys, alg, template, Number.parseInt(ek.nv, 16));
    const agentId = randomUUID();

    const version = await http("GET", "/version");
    expect(version.body.results["supported_versions"]).toContain("2.1");

    const posted = await http("POST", `/v2.1/agents/${agentId}`, registration(keys));
    expect(posted.status, posted.body.status).toBe(200);
    expect(posted.body.code).toBe(200);
    await writeFile(join(keys.dir, "blob.bin"), Buffer.from(posted.body.results["blob"] as string, "base64"));

    const challenge = await toolsActivate(sim, keys.dir, "blob.bin", high);
    expect(challenge.toString("ascii")).toMatch(/^[A-Za-z0-9]{32}$/);
    const authTag = createHmac("sha384", challenge.toString("base64")).update(agentId).digest("hex");

    const put = await http("PUT", `/v2.1/agents/${agentId}/activate`, { auth_tag: authTag });
    expect(put.status, put.body.status).toBe(200);
    expect(put.body).toEqual({ code: 200, status: "Success", results: {} });

    const token = await reg.token(["devices:read"]);
    const got = await http("GET", `/v2.6/agents/${agentId}`, undefined, token);
    expect(got.status, got.body.status).toBe(200);
    expect(got.body.results).toMatchObject({
      ek_tpm: keys.ekPub.toString("base64"),
      aik_tpm: keys.akPub.toString("base64"),
      ekcert: keys.ekCert.toString("base64"),
      ip: "127.0.0.1",
      port: 9002,
      regcount: 1,
      active: true,
    });
    const list = await http("GET", "/v2.1/agents", undefined, token);
    expect(list.body.results["uuids"]).toContain(agentId);
    const device = await reg.db.get<{ state: string }>("SELECT state FROM devices WHERE id = ?", [deviceId]);
    expect(device?.state).toBe("active");
  });
});

describe("a TPM whose EK certificate comes from the rogue look-alike CA", () => {
  let keys: ToolsKeys;

  beforeAll(async () => {
    keys = await toolsKeys(fleet.tpm("rogue"), { g: "rsa", nv: "0x01c00002" }, [
      "-G",
      "rsa",
      "-g",
      "sha256",
      "-s",
      "rsassa",
    ]);
  });

  it("is refused as not pre-registered while no station recorded it", async () => {
    const r = await http("POST", `/v2.1/agents/${randomUUID()}`, registration(keys));
    expect(r.status).toBe(403);
    expect(r.body.status).toMatch(/not pre-registered/);
  });

  it("is refused because its EK certificate does not chain, even once pre-registered", async () => {
    await preRegister(keys, "rsa2048", "L-1", 0x01c00002);
    const agentId = randomUUID();
    const r = await http("POST", `/v2.1/agents/${agentId}`, registration(keys));
    expect(r.status).toBe(403);
    expect(r.body.results["error"]).toMatch(/^EK_CHAIN_/);
    expect(r.body.status).toMatch(/does not chain to a trusted manufacturer CA/);
    expect(await reg.db.get("SELECT agent_id FROM agents WHERE agent_id = ?", [agentId])).toBeUndefined();
  });
});
