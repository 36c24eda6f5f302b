// Offline registration with the agent as a real process and the registrar's own CLI (DESIGN
// §5): agent `offline request` → `registrar offline challenge` → agent `offline activate` →
// `registrar offline activate` → the registrar shows the agent active. A challenge that the
// registrar's key did not sign is refused before the TPM is touched.
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { initRegistrarKeys, type RegistrarKeyPaths } from "../../cloud/registrar/keys.js";
import { decodeOfflineRequest } from "../../shared/formats/offline.js";
import {
  expectNoTransientHandles,
  runDir,
  runToExit,
  startTestRegistrar,
  type TestRegistrar,
  useFleet,
} from "../harness/index.js";
import {
  AGENT_EXIT,
  agent,
  ekCert,
  preRegister,
  ROOT,
  registrarView,
  shown,
  stateDir,
} from "./agent-process.js";

const fleet = useFleet({ board: { layout: "nuvoton" } });
const TSX = join(ROOT, "node_modules/.bin/tsx");

let reg: TestRegistrar;
let keys: RegistrarKeyPaths;
let files: string;

beforeAll(async () => {
  reg = await startTestRegistrar();
  await reg.trustCaDir(fleet.pki.trustedCaDir);
  keys = await initRegistrarKeys(reg.db, reg.dir);
  await preRegister(reg, fleet.tpm("board"));
  files = await mkdtemp(join(runDir(), "offline-files-"));
});
afterAll(async () => {
  await reg?.close();
});
afterEach(async () => {
  await expectNoTransientHandles(fleet.tpm("board"));
});

function registrarCli(...args: string[]) {
  return runToExit(TSX, [join(ROOT, "cloud/cli/main.ts"), ...args, "--db", reg.db.path], {
    cwd: reg.dir,
    timeoutMs: 60_000,
  });
}

describe("offline registration through files", () => {
  let state: string;
  const agentId = "offline-board-1";
  const settings = () => ["--tcti", fleet.tpm("board").tcti, "--state-dir", state, "--agent-id", agentId];

  it("goes request → challenge → response → active, with the registrar's CLI at the other end", async () => {
    state = await stateDir();
    const req = join(files, `${agentId}.request`);
    const chal = join(files, `${agentId}.challenge`);
    const resp = join(files, `${agentId}.response`);

    const requested = await agent([
      "offline",
      "request",
      ...settings(),
      "--ek-alg",
      "ecc",
      "--out",
      req,
      "--json",
    ]);
    expect(requested.exitCode, shown(requested)).toBe(AGENT_EXIT.ok);
    expect(requested.json).toMatchObject({ status: "requested", agent_id: agentId, ek_template: "H-3" });
    const { readFile } = await import("node:fs/promises");
    const request = decodeOfflineRequest(new Uint8Array(await readFile(req)));
    expect(request.agent_id).toBe(agentId);
    expect(Buffer.from(request.ekcert!)).toEqual(Buffer.from(ekCert(fleet.tpm("board"), "ecc")));

    const challenged = await registrarCli("offline", "challenge", req, "--out", chal);
    expect(challenged.exitCode, challenged.stderr).toBe(0);

    const responded = await agent([
      "offline",
      "activate",
      chal,
      ...settings(),
      "--registrar-key",
      keys.ed25519Pub,
      "--out",
      resp,
      "--json",
    ]);
    expect(responded.exitCode, shown(responded)).toBe(AGENT_EXIT.ok);
    expect(responded.json).toMatchObject({ status: "responded", agent_id: agentId });

    // Not active until the registrar has checked the response.
    expect((await agent(["status", "--state-dir", state, "--json"])).json).toMatchObject({
      phase: "offline-response",
      active: false,
    });
    const activated = await registrarCli("offline", "activate", resp);
    expect(activated.exitCode, activated.stderr).toBe(0);
    expect((await registrarView(reg, agentId)).results).toMatchObject({ active: true });
  });

  it("refuses a challenge signed by another key, before touching the TPM", async () => {
    const chal = join(files, `${agentId}.challenge`);
    const other = join(files, "other.ed25519.pub");
    const { publicKey } = generateKeyPairSync("ed25519");
    await writeFile(other, publicKey.export({ type: "spki", format: "pem" }) as string);
    const r = await agent([
      "offline",
      "activate",
      chal,
      // A TPM nobody listens on: reaching it would be a TPM error (5), not a refusal.
      "--tcti",
      "swtpm:host=127.0.0.1,port=1",
      "--state-dir",
      state,
      "--registrar-key",
      other,
      "--out",
      join(files, "never.response"),
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.refused);
    expect(r.stderr).toMatch(/refusing the challenge .*signed by key id [0-9a-f]+, which is not a known key/);
  });

  it("refuses a challenge for another agent (a device whose own request named another id)", async () => {
    const otherState = await stateDir();
    const req = join(files, "other-agent.request");
    const requested = await agent([
      "offline",
      "request",
      "--tcti",
      fleet.tpm("board").tcti,
      "--state-dir",
      otherState,
      "--agent-id",
      "other-agent",
      "--out",
      req,
    ]);
    expect(requested.exitCode, shown(requested)).toBe(AGENT_EXIT.ok);
    const r = await agent([
      "offline",
      "activate",
      join(files, `${agentId}.challenge`),
      "--tcti",
      "swtpm:host=127.0.0.1,port=1",
      "--state-dir",
      otherState,
      "--registrar-key",
      keys.ed25519Pub,
      "--out",
      join(files, "never.response"),
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.refused);
    expect(r.stderr).toMatch(/it is for agent offline-board-1, and this device is agent other-agent/);
  });

  it("requires --registrar-key for offline activate", async () => {
    const r = await agent([
      "offline",
      "activate",
      join(files, `${agentId}.challenge`),
      ...settings(),
      "--out",
      "x",
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.usage);
    expect(r.stderr).toMatch(/--registrar-key/);
  });
});
