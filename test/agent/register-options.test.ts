// The agent's less common settings, each against a real registrar and swtpm: a registrar on
// https with a private CA (--registrar-ca), a TPM whose endorsement hierarchy has a password
// (--endorsement-auth-file, EDGE_AGENT_ENDORSEMENT_AUTH), and a persistent EK handle
// (ek_handle), which swtpm_setup makes at 0x81010001 for the RSA EK.
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { preRegisterEndorsement } from "../../cloud/admin/endorsements.js";
import {
  expectNoTransientHandles,
  issueTlsCert,
  runDir,
  startTestRegistrar,
  type TestRegistrar,
  tpm2,
  useFleet,
} from "../harness/index.js";
import { AGENT_EXIT, agent, shown, stateDir } from "./agent-process.js";

/** The registrar's record of an agent, from its database. */
const agentRow = (reg: TestRegistrar, agentId: string) =>
  reg.db.get<{ active: number; regcount: number }>("SELECT active, regcount FROM agents WHERE agent_id = ?", [
    agentId,
  ]);

const fleet = useFleet({
  locked: { layout: "infineon" },
  nuvoton: { layout: "nuvoton" },
  lockout: { layout: "infineon" },
});

let dir: string;
let reg: TestRegistrar;

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "agent-options-"));
  await issueTlsCert(dir, "ca", "registrar TLS CA", "basicConstraints=critical,CA:true");
  await issueTlsCert(
    dir,
    "server",
    "127.0.0.1",
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth",
    "ca",
  );
  reg = await startTestRegistrar({
    tls: {
      cert: await readFile(join(dir, "server.pem"), "utf8"),
      key: await readFile(join(dir, "server.key"), "utf8"),
    },
  });
  await reg.trustCaDir(fleet.pki.trustedCaDir);
  // Through the service, not HTTP: this test's own fetch does not trust the private CA.
  for (const sim of fleet.tpms)
    for (const ek of sim.eks)
      if (ek.certDer) await preRegisterEndorsement(reg.registrar, { certificate: ek.certDer }, "test");
});
afterAll(async () => {
  await reg?.close();
});
afterEach(async () => {
  for (const sim of fleet.tpms) await expectNoTransientHandles(sim);
});

describe("a registrar on https", () => {
  it("is trusted through --registrar-ca, and the agent registers", async () => {
    expect(reg.url).toMatch(/^https:/);
    const agentId = randomUUID();
    const r = await agent([
      "register",
      "--registrar",
      reg.url,
      "--registrar-ca",
      join(dir, "ca.pem"),
      "--tcti",
      fleet.tpm("nuvoton").tcti,
      "--state-dir",
      await stateDir(),
      "--agent-id",
      agentId,
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.ok);
    expect(r.out).toMatch(new RegExp(`agent ${agentId} registered and active at https://`));
    expect(await agentRow(reg, agentId)).toEqual({ active: 1, regcount: 1 });
  });

  it("is not trusted without --registrar-ca: a configuration error that says what to pass, not a retry loop", async () => {
    const r = await agent([
      "register",
      "--registrar",
      reg.url,
      "--tcti",
      fleet.tpm("nuvoton").tcti,
      "--state-dir",
      await stateDir(),
      "--agent-id",
      "untrusting",
      "--max-wait",
      "30s",
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.usage);
    expect(r.stderr).toMatch(/TLS certificate this agent does not trust .*--registrar-ca/);
    expect(r.stderr).not.toMatch(/retrying/);
  });
});

it("uses a persistent EK handle from the environment (EDGE_AGENT_EK_HANDLE)", async () => {
  const agentId = randomUUID();
  const r = await agent(
    ["register", "--registrar", reg.url, "--registrar-ca", join(dir, "ca.pem"), "--ek-alg", "rsa", "--json"],
    {
      EDGE_AGENT_TCTI: fleet.tpm("nuvoton").tcti,
      EDGE_AGENT_STATE_DIR: await stateDir(),
      EDGE_AGENT_AGENT_ID: agentId,
      EDGE_AGENT_EK_HANDLE: "0x81010001",
    },
  );
  expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.ok);
  expect(r.stderr).toMatch(/L-1 EK [0-9a-f]{16}… \(persistent at 0x81010001\)/);
  expect(await agentRow(reg, agentId)).toEqual({ active: 1, regcount: 1 });
});

describe("a TPM whose endorsement hierarchy has a password", () => {
  beforeAll(async () => {
    await tpm2(fleet.tpm("locked").tcti, "tpm2_changeauth", ["-c", "e", "endorse-me"]);
  });

  it("registers with the password from --endorsement-auth-file, and again from EDGE_AGENT_ENDORSEMENT_AUTH", async () => {
    const authFile = join(dir, "endorsement.auth");
    await writeFile(authFile, "endorse-me\n", { mode: 0o600 });
    const state = await stateDir();
    const agentId = randomUUID();
    const settings = [
      "--registrar",
      reg.url,
      "--registrar-ca",
      join(dir, "ca.pem"),
      "--tcti",
      fleet.tpm("locked").tcti,
    ];
    const first = await agent([
      "register",
      ...settings,
      "--state-dir",
      state,
      "--agent-id",
      agentId,
      "--endorsement-auth-file",
      authFile,
    ]);
    expect(first.exitCode, shown(first)).toBe(AGENT_EXIT.ok);
    const second = await agent(["register", ...settings, "--state-dir", state, "--agent-id", agentId], {
      EDGE_AGENT_ENDORSEMENT_AUTH: "endorse-me",
    });
    expect(second.exitCode, shown(second)).toBe(AGENT_EXIT.ok);
    expect(await agentRow(reg, agentId)).toEqual({ active: 1, regcount: 2 });
  });

  it("reports a wrong password as a TPM error in plain words", async () => {
    const r = await agent(
      [
        "register",
        "--registrar",
        reg.url,
        "--registrar-ca",
        join(dir, "ca.pem"),
        "--tcti",
        fleet.tpm("locked").tcti,
        "--state-dir",
        await stateDir(),
        "--agent-id",
        "wrong-password",
      ],
      { EDGE_AGENT_ENDORSEMENT_AUTH: "not-it" },
    );
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.tpm);
    expect(r.stderr).toMatch(
      /TPM error: TPM2_CreatePrimary failed: TPM_RC_(BAD_AUTH|AUTH_FAIL).*the authorization value is wrong/,
    );
  });
});

describe("a TPM in dictionary-attack lockout", () => {
  it("is reported in plain words, as a TPM error, without hammering it", async () => {
    const sim = fleet.tpm("lockout");
    const state = await stateDir();
    const settings = ["--registrar", reg.url, "--registrar-ca", join(dir, "ca.pem"), "--tcti", sim.tcti];
    const agentId = randomUUID();
    const first = await agent(["register", ...settings, "--state-dir", state, "--agent-id", agentId]);
    expect(first.exitCode, shown(first)).toBe(AGENT_EXIT.ok);

    // One wrong password on a DA-protected key, with max-tries 1, puts the TPM in lockout.
    const work = await mkdtemp(join(runDir(), "lockout-"));
    const tool = async (name: string, args: string[]) => {
      try {
        return await tpm2(sim.tcti, name, args, { cwd: work });
      } finally {
        await tpm2(sim.tcti, "tpm2_flushcontext", ["-t"], { cwd: work });
      }
    };
    await tool("tpm2_dictionarylockout", ["-s", "-n", "1", "-t", "3600", "-l", "3600"]);
    await tool("tpm2_createprimary", ["-C", "o", "-G", "ecc", "-p", "right", "-c", "primary.ctx"]);
    await expect(
      tool("tpm2_create", ["-C", "primary.ctx", "-P", "wrong", "-G", "ecc", "-u", "k.pub", "-r", "k.priv"]),
    ).rejects.toThrow();

    const r = await agent(["register", ...settings, "--state-dir", state, "--agent-id", agentId]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.tpm);
    expect(r.stderr).toMatch(/TPM_RC_LOCKOUT.*dictionary-attack lockout.*The agent does not retry/);
  });
});
