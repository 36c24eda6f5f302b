// Offline registration end to end (DESIGN §5), on a harness swtpm: the agent side is our TPM
// stack driven by the test (EK from its template, AK under it, ActivateCredential), the
// registrar side the real CLI (`offline challenge`, `offline activate`) on the database of a
// running test registrar, and the admin API for the clock-driven expiry. The auth_tag is
// computed here with node:crypto, as keylime defines it.
import { createHmac } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initRegistrarKeys, registrarKeyPaths } from "../../cloud/registrar/keys.js";
import { insertDevice } from "../../cloud/store/devices.js";
import { captureEvidence } from "../../factory/capture/index.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { rawPublicKey, readPublicKey } from "../../shared/formats/keys.js";
import {
  encodeOfflineRequest,
  encodeOfflineResponse,
  OFFLINE_VERSION,
  verifyOfflineChallenge,
} from "../../shared/formats/offline.js";
import { activateCredential, createAk, createEk, withAk } from "../../shared/tpm/index.js";
import type { Tpm } from "../../shared/tpm/tpm.js";
import { decodeCredentialBlob, encodePublicArea } from "../../shared/tpm/verifier/index.js";
import {
  expectNoTransientHandles,
  runToExit,
  startTestRegistrar,
  type TestRegistrar,
  useFleet,
} from "../harness/index.js";
import { withTpm } from "../interop/client.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const fleet = useFleet({ board: { layout: "infineon" }, stranger: { layout: "infineon" } });

let reg: TestRegistrar;
let now = Date.now();

beforeAll(async () => {
  reg = await startTestRegistrar({ clock: () => now });
  await reg.trustCaDir(fleet.pki.trustedCaDir);
  await initRegistrarKeys(reg.db, reg.dir);
  // Pre-register "board" as a station's manifest would (the import is tested elsewhere).
  const { store } = await loadCaDir(fleet.pki.trustedCaDir);
  const captured = await withTpm(fleet.tpm("board"), (tpm) => captureEvidence(tpm, { store }));
  await reg.db.write((tx) =>
    insertDevice(tx, {
      serial: "SN-OFFLINE-1",
      hwUuid: null,
      model: "pi",
      source: "manifest",
      station: null,
      capturedAt: Math.floor(Date.now() / 1000),
      tpm: { manufacturer: captured.tpm.manufacturer, vendor: captured.tpm.vendor, fw: captured.tpm.fw },
      manifest: null,
      comment: null,
      eks: captured.eks.map((ek) => ({
        ekPubSha256: ek.ek_pub_sha256,
        alg: ek.alg,
        template: ek.template,
        ekPub: ek.pub,
        cert: ek.cert,
        certNv: ek.cert_nv,
      })),
    }),
  );
}, 120_000);

afterAll(async () => {
  await reg?.close();
});

function registrarCli(...args: string[]) {
  return runToExit(TSX, [join(ROOT, "cloud/cli/main.ts"), ...args, "--db", reg.db.path], {
    cwd: reg.dir,
    timeoutMs: 60_000,
  });
}

interface AgentSide {
  request: Uint8Array;
  /** Activates a challenge file in the TPM and returns the response file. */
  respond(challenge: Uint8Array, session?: string): Promise<Uint8Array>;
}

/** The agent's half, on our TPM stack: RSA EK (L-1), an RSA AK under it. */
async function agent(
  tpm: Tpm,
  agentId: string,
  certDer: Uint8Array | null,
): Promise<AgentSide & { done(): Promise<void> }> {
  const ek = await createEk(tpm, "L-1");
  const ak = await createAk(tpm, ek, "rsa");
  const registrarKey = rawPublicKey(
    await readPublicKey((await registrarKeyPaths(reg.db))!.ed25519Pub, "ed25519"),
  );
  return {
    request: encodeOfflineRequest({
      v: OFFLINE_VERSION,
      agent_id: agentId,
      ek_tpm: encodePublicArea(ek.public),
      ekcert: certDer,
      aik_tpm: encodePublicArea(ak.public),
      created_at: Math.floor(now / 1000),
    }),
    async respond(file, session) {
      const challenge = verifyOfflineChallenge(file, () => registrarKey);
      const secret = await withAk(tpm, ek, ak, (loaded) =>
        activateCredential(tpm, ek, loaded, decodeCredentialBlob(challenge.blob)),
      );
      const tag = createHmac("sha384", Buffer.from(Buffer.from(secret).toString("base64"), "ascii"))
        .update(agentId)
        .digest("hex");
      return encodeOfflineResponse({
        v: OFFLINE_VERSION,
        agent_id: agentId,
        session: session ?? challenge.session,
        auth_tag: tag,
      });
    },
    done: () => tpm.flush(ek.handle),
  };
}

const rsaCert = (name: "board" | "stranger") => fleet.tpm(name).eks.find((e) => e.alg === "rsa2048")!.certDer;

describe("offline registration", () => {
  it("request → registrar challenge → TPM activation → registrar activate → active; a replay is refused", async () => {
    const agentId = "offline-board-1";
    const files = {
      req: join(reg.dir, `${agentId}.request`),
      chal: join(reg.dir, `${agentId}.challenge`),
      resp: join(reg.dir, `${agentId}.response`),
    };
    await withTpm(fleet.tpm("board"), async (tpm) => {
      const a = await agent(tpm, agentId, rsaCert("board"));
      try {
        await writeFile(files.req, a.request);
        const issued = await registrarCli("offline", "challenge", files.req, "--out", files.chal, "--json");
        expect(issued.exitCode, issued.stderr).toBe(0);
        const summary = JSON.parse(issued.stdout.toString()) as { agent_id: string; expires_at: number };
        expect(summary.agent_id).toBe(agentId);
        expect(summary.expires_at - Math.floor(Date.now() / 1000)).toBeGreaterThan(7 * 86400 - 120);
        await writeFile(files.resp, await a.respond(await readFile(files.chal)));
      } finally {
        await a.done();
      }
    });
    const activated = await registrarCli("offline", "activate", files.resp);
    expect(activated.exitCode, activated.stderr).toBe(0);
    expect(activated.stdout.toString()).toMatch(`agent ${agentId} is active`);
    const row = await reg.db.get<{ active: number }>("SELECT active FROM agents WHERE agent_id = ?", [
      agentId,
    ]);
    expect(row?.active).toBe(1);
    const device = await reg.db.get<{ state: string }>(
      "SELECT state FROM devices WHERE serial = 'SN-OFFLINE-1'",
    );
    expect(device?.state).toBe("active");
    const replay = await registrarCli("offline", "activate", files.resp);
    expect(replay.exitCode).toBe(1);
    expect(replay.stderr).toMatch(/CHALLENGE_USED|used/);
    await expectNoTransientHandles(fleet.tpm("board"));
  }, 120_000);

  it("refuses a TPM no station captured, with the reason (exit 1), and writes no challenge", async () => {
    const req = join(reg.dir, "stranger.request");
    const chal = join(reg.dir, "stranger.challenge");
    await withTpm(fleet.tpm("stranger"), async (tpm) => {
      const a = await agent(tpm, "stranger-1", rsaCert("stranger"));
      try {
        await writeFile(req, a.request);
      } finally {
        await a.done();
      }
    });
    const r = await registrarCli("offline", "challenge", req, "--out", chal);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/not pre-registered/i);
    await expect(readFile(chal)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("refuses a response after the 7-day session has expired (admin API, registrar clock moved)", async () => {
    const token = await reg.token(["devices:write"]);
    const post = (path: string, body: Uint8Array) =>
      fetch(`${reg.url}/api/v1/offline/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/cbor" },
        body,
      });
    await withTpm(fleet.tpm("board"), async (tpm) => {
      const a = await agent(tpm, "offline-board-2", rsaCert("board"));
      try {
        const issued = await post("challenge", a.request);
        expect(issued.status, await issued.clone().text()).toBe(200);
        expect(issued.headers.get("content-type")).toBe("application/cbor");
        const response = await a.respond(new Uint8Array(await issued.arrayBuffer()));
        now += 8 * 86_400_000;
        const late = await post("activate", response);
        expect(late.status).toBe(403);
        expect(((await late.json()) as { results: { error: string } }).results.error).toBe(
          "CHALLENGE_EXPIRED",
        );
      } finally {
        now = Date.now();
        await a.done();
      }
    });
    const garbage = await post("activate", Uint8Array.of(0xa1, 0x61));
    expect(garbage.status).toBe(400);
    await expectNoTransientHandles(fleet.tpm("board"));
  }, 120_000);
});
