// The agent when things go wrong (issue 6 acceptance): a registrar that starts late, one that
// never answers, one that refuses, and a fake registrar that sends bad credential blobs. Each
// case pins the exit status, what the operator reads, and that no transient object is left in
// the TPM (tpm2_getcap handles-transient).
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { preRegisterEndorsement } from "../../cloud/admin/endorsements.js";
import { Registrar } from "../../cloud/registrar/registrar.js";
import { startServer } from "../../cloud/server.js";
import { addCa } from "../../cloud/store/cas.js";
import { SqliteDatabase } from "../../cloud/store/sqlite-database.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import {
  encodeCredentialBlob,
  makeCredential,
  objectName,
  parsePublicArea,
} from "../../shared/tpm/verifier/index.js";
import {
  expectNoTransientHandles,
  runDir,
  startTestRegistrar,
  type TestRegistrar,
  useFleet,
} from "../harness/index.js";
import { pickPortPair } from "../harness/ports.js";
import { AGENT_EXIT, agent, preRegister, shown, startAgent, stateDir } from "./agent-process.js";

const fleet = useFleet({
  board: { layout: "infineon" },
  stranger: { layout: "nuvoton" },
  foreign: { layout: "infineon", defect: "foreign-rsa-cert" },
  eccless: { layout: "nuvoton", defect: "missing-ecc-cert" },
});

afterEach(async () => {
  for (const sim of fleet.tpms) await expectNoTransientHandles(sim);
});

describe("a registrar that starts 3 s after the agent", () => {
  it("is waited for: the agent retries with backoff, says so on stderr, then registers", async () => {
    const sim = fleet.tpm("board");
    const port = await pickPortPair();
    // The registrar's database is ready (CAs trusted, the TPM pre-registered) before it listens.
    const dir = await mkdtemp(join(runDir(), "late-registrar-"));
    const db = await SqliteDatabase.open(join(dir, "registrar.db"));
    const registrar = new Registrar(db);
    const { store } = await loadCaDir(fleet.pki.trustedCaDir);
    await db.write(async (tx) => {
      for (const cert of store.certificates) await addCa(tx, cert, fleet.pki.trustedCaDir);
    });
    for (const ek of sim.eks)
      if (ek.certDer) await preRegisterEndorsement(registrar, { certificate: ek.certDer }, "test");

    const agentId = randomUUID();
    const running = startAgent([
      "register",
      "--registrar",
      `http://127.0.0.1:${port}`,
      "--tcti",
      sim.tcti,
      "--state-dir",
      await stateDir(),
      "--agent-id",
      agentId,
      "--max-wait",
      "40s",
      "--json",
    ]);
    // The registrar starts 3 s after the agent, and not before the agent has found it missing.
    const started = Date.now();
    while (!/cannot reach/.test(running.stderr()) && Date.now() - started < 30_000)
      await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - started))));
    const server = await startServer(registrar, { port });
    try {
      const r = await running.done;
      expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.ok);
      expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED.*retrying/);
      expect(r.json).toMatchObject({ status: "active", agent_id: agentId });
      const row = await db.get<{ active: number; regcount: number }>(
        "SELECT active, regcount FROM agents WHERE agent_id = ?",
        [agentId],
      );
      expect(row).toEqual({ active: 1, regcount: 1 });
    } finally {
      await server.close();
      await db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("no registrar at all", () => {
  it("gives up after --max-wait 2s with the 'unreachable' exit status", async () => {
    const sim = fleet.tpm("board");
    const port = await pickPortPair();
    const dir = await stateDir();
    const r = await agent([
      "register",
      "--registrar",
      `http://127.0.0.1:${port}`,
      "--tcti",
      sim.tcti,
      "--state-dir",
      dir,
      "--agent-id",
      "nobody-home",
      "--max-wait",
      "2s",
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.unreachable);
    expect(r.stderr).toMatch(
      /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED.*; retrying the request for the registrar's API version in/,
    );
    expect(r.stderr).toMatch(/gave up on .* after 2\.0 s \(--max-wait\)/);
    // Nothing was registered, so nothing is recorded.
    await expect(readFile(join(dir, "state.json"))).rejects.toThrow(/ENOENT/);
  });
});

describe("a registrar that does not know the TPM", () => {
  let reg: TestRegistrar;
  beforeAll(async () => {
    reg = await startTestRegistrar();
    await reg.trustCaDir(fleet.pki.trustedCaDir);
    await preRegister(reg, fleet.tpm("board")); // only "board"; "stranger" stays unknown
  });
  afterAll(async () => {
    await reg?.close();
  });

  it("exits with the 'refused' status and prints the registrar's reason, without retrying", async () => {
    const r = await agent([
      "register",
      "--registrar",
      reg.url,
      "--tcti",
      fleet.tpm("stranger").tcti,
      "--state-dir",
      await stateDir(),
      "--agent-id",
      "stranger-1",
      "--max-wait",
      "30s",
      "--json",
    ]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.refused);
    expect(r.stderr).toMatch(
      /refused: the registrar refused the registration of agent stranger-1 \(HTTP 403.*not pre-registered/,
    );
    expect(r.stderr).not.toMatch(/retrying/);
    expect(r.json).toMatchObject({ status: "error", http_status: 403, exit_status: AGENT_EXIT.refused });
    expect(r.ms).toBeLessThan(20_000);
  });
});

/**
 * A registrar impostor: answers /version and the POST with a blob made by `blob(body)` from the
 * agent's request, and records whether a PUT ever came.
 */
async function fakeRegistrar(
  answer: (body: { ek_tpm: string; aik_tpm: string }) => { status: number; blob?: string },
): Promise<{ url: string; puts: number; close(): Promise<void> }> {
  let puts = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const send = (status: number, results: object) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            code: status,
            status: status === 200 ? "Success" : "Service Unavailable",
            results,
          }),
        );
      };
      if (req.method === "GET" && req.url === "/version")
        return send(200, { current_version: "2.1", supported_versions: ["2.1"] });
      if (req.method === "POST") {
        const a = answer(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        return send(a.status, a.blob === undefined ? {} : { blob: a.blob });
      }
      puts++;
      return send(200, {});
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get puts() {
      return puts;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A genuine blob for the EK in the request, bound to the name of `akName(aik)`. */
function blobFor(
  body: { ek_tpm: string; aik_tpm: string },
  akName: (name: Uint8Array) => Uint8Array,
): Uint8Array {
  const ekPublic = parsePublicArea(new Uint8Array(Buffer.from(body.ek_tpm, "base64")));
  const name = objectName(parsePublicArea(new Uint8Array(Buffer.from(body.aik_tpm, "base64"))));
  return encodeCredentialBlob(
    makeCredential({ ekPublic, akName: akName(name), credential: randomBytes(32) }),
  );
}

describe("bad answers from a fake registrar", () => {
  const cases = [
    {
      what: "garbage instead of a credential blob",
      blob: () => randomBytes(200).toString("base64"),
      message: /credential blob is unusable: .*not the tpm2-tools credential magic/,
    },
    {
      what: "a truncated credential blob",
      blob: (b: { ek_tpm: string; aik_tpm: string }) =>
        Buffer.from(blobFor(b, (n) => n).subarray(0, 60)).toString("base64"),
      message: /credential blob is unusable: the credential blob is cut short/,
    },
    {
      what: "a blob made for another AK",
      blob: (b: { ek_tpm: string; aik_tpm: string }) =>
        Buffer.from(
          blobFor(b, (n) => {
            const other = new Uint8Array(n);
            other[other.length - 1]! ^= 0xff;
            return other;
          }),
        ).toString("base64"),
      message: /TPM could not activate the credential \(TPM_RC_INTEGRITY\): it was made for another AK or EK/,
    },
  ];
  for (const alg of ["rsa", "ecc"] as const) {
    it.each(cases)(
      `--ek-alg ${alg}: $what is a clear error, no PUT is sent, no transient handle is left`,
      async (c) => {
        const fake = await fakeRegistrar((body) => ({ status: 200, blob: c.blob(body) }));
        try {
          const r = await agent([
            "register",
            "--registrar",
            fake.url,
            "--tcti",
            fleet.tpm("stranger").tcti,
            "--ek-alg",
            alg,
            "--state-dir",
            await stateDir(),
            "--agent-id",
            "bad-blob",
            "--max-wait",
            "5s",
          ]);
          expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.badAnswer);
          expect(r.stderr).toMatch(c.message);
          expect(fake.puts).toBe(0);
        } finally {
          await fake.close();
        }
      },
    );
  }

  it("keeps retrying a registrar that answers 503, then reports it unreachable", async () => {
    const fake = await fakeRegistrar(() => ({ status: 503 }));
    try {
      const r = await agent([
        "register",
        "--registrar",
        fake.url,
        "--tcti",
        fleet.tpm("board").tcti,
        "--state-dir",
        await stateDir(),
        "--agent-id",
        "busy",
        "--max-wait",
        "2s",
      ]);
      expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.unreachable);
      expect(r.stderr).toMatch(/the registrar answered HTTP 503 \(Service Unavailable\); retrying/);
    } finally {
      await fake.close();
    }
  });
});

describe("a defective TPM", () => {
  const settings = (tcti: string) => [
    "register",
    "--registrar",
    "http://127.0.0.1:1",
    "--tcti",
    tcti,
    "--state-dir",
    "/nonexistent/never-written",
    "--agent-id",
    "defective",
  ];

  it("whose EK certificate belongs to another key is a TPM error, found before any registrar is asked", async () => {
    const r = await agent([...settings(fleet.tpm("foreign").tcti), "--ek-alg", "rsa"]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.tpm);
    expect(r.stderr).toMatch(
      /the EK certificate at NV 0x01c00002 certifies another key .* than the L-1 EK this TPM makes/i,
    );
    expect(r.stderr).not.toMatch(/retrying/);
  });

  it("without the asked-for ECC EK certificate says which indices it looked at and what it has", async () => {
    const r = await agent([...settings(fleet.tpm("eccless").tcti), "--ek-alg", "ecc"]);
    expect(r.exitCode, shown(r)).toBe(AGENT_EXIT.tpm);
    expect(r.stderr).toMatch(
      /no ECC EK certificate in NV \(looked at L-2 at 0x01c0000a, .*H-3 at 0x01c00016\)\. It has: L-1/i,
    );
  });
});
