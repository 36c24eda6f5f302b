// swtpm process lifecycle on its own, with a blank TPM state (no swtpm_setup needed).
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDir } from "./run-dir.js";
import { type SwtpmProcess, startSwtpm } from "./swtpm.js";
import { tpm2Text } from "./tpm2-tools.js";

const listen = (port: number): Promise<Server> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen({ port, host: "127.0.0.1" }, () => resolve(srv));
  });
const close = (srv: Server): Promise<void> => new Promise((resolve) => srv.close(() => resolve()));

describe("swtpm process", () => {
  let dir: string;
  const started: SwtpmProcess[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(runDir(), "swtpm-test-"));
  });
  afterAll(async () => {
    await Promise.allSettled(started.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  it("moves to another port pair when its port is taken by someone else", async () => {
    // Hold a port ourselves, as another worker's swtpm would.
    const held = await listen(0);
    const address = held.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    try {
      const stateDir = join(dir, "moved");
      const sw = await startSwtpm(stateDir, { port: address.port });
      started.push(sw);
      expect(sw.port).not.toBe(address.port);
      expect(sw.ctrlPort).toBe(sw.port + 1);
      expect(await readFile(sw.logFile, "utf8")).toMatch(/Address already in use/);
      // It is a working TPM: tpm2-tools reads its manufacturer.
      expect(await tpm2Text(sw.tcti, "tpm2_getcap", ["properties-fixed"])).toMatch(/TPM2_PT_MANUFACTURER/);
    } finally {
      await close(held);
    }
  });

  it("runs many TPMs side by side, each on its own ports, and stops them all", async () => {
    const fleet = await Promise.all([1, 2, 3, 4].map((i) => startSwtpm(join(dir, `side-${i}`))));
    started.push(...fleet);
    expect(new Set(fleet.map((s) => s.port)).size).toBe(4);
    await Promise.all(fleet.map((s) => s.stop()));
    for (const s of fleet) {
      expect(s.running).toBe(false);
      expect(existsSync(`/proc/${s.pid}`)).toBe(false);
      expect(existsSync(join(runDir(), "pids", `${s.pid}.json`))).toBe(false);
    }
  });
});
