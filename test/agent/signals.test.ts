// A SIGTERM while the agent has objects loaded in the TPM (edge-agent/tpm/signal-hold.ts). The
// agent talks to the harness swtpm through a TCP proxy that reads its command stream (raw TPM
// commands: size at offset 2, command code at offset 6) and sends the agent SIGTERM at the first
// command after TPM2_CreatePrimary, i.e. while the EK is loaded. swtpm has no resource manager,
// as /dev/tpm0 has none: whatever the agent does not flush stays loaded. The agent must finish
// the phase, flush, and then end as killed by SIGTERM, with no transient handle left.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectNoTransientHandles, useFleet } from "../harness/index.js";
import { shown, startAgent, stateDir } from "./agent-process.js";

const fleet = useFleet({ board: { layout: "infineon" } });

const TPM2_CC_CREATE_PRIMARY = 0x131;
const TPM2_CC_FLUSH_CONTEXT = 0x165;
const HEADER = 10;

/** Forwards TCP to swtpm, calling `onCommand` with each complete command's code before it goes on. */
function commandProxy(upstreamPort: number, onCommand: (cc: number) => void): Promise<Server> {
  const server = createServer((client: Socket) => {
    const upstream = createConnection({ host: "127.0.0.1", port: upstreamPort });
    upstream.on("data", (b) => client.write(b));
    upstream.on("close", () => client.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.on("error", () => upstream.destroy());
    let pending = Buffer.alloc(0);
    client.on("data", (b: Buffer) => {
      pending = Buffer.concat([pending, b]);
      while (pending.length >= HEADER && pending.length >= pending.readUInt32BE(2)) {
        const size = pending.readUInt32BE(2);
        onCommand(pending.readUInt32BE(6));
        upstream.write(pending.subarray(0, size));
        pending = pending.subarray(size);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let proxy: Server | undefined;
afterAll(async () => {
  await new Promise<void>((done) => (proxy ? proxy.close(() => done()) : done()));
});

describe("SIGTERM during a TPM phase", () => {
  let upstreamPort: number;
  beforeAll(() => {
    const port = /port=(\d+)/.exec(fleet.tpm("board").tcti)?.[1];
    if (!port) throw new Error(`no port in ${fleet.tpm("board").tcti}`);
    upstreamPort = Number(port);
  });

  it("is held until the phase has flushed its objects, then ends the agent as killed by SIGTERM", async () => {
    let createdPrimary = false;
    let signalledAt: number | undefined;
    const after: number[] = [];
    let running: ReturnType<typeof startAgent> | undefined;
    proxy = await commandProxy(upstreamPort, (cc) => {
      if (signalledAt !== undefined) after.push(cc);
      else if (createdPrimary) {
        signalledAt = Date.now();
        running?.kill("SIGTERM");
        after.push(cc);
      }
      if (cc === TPM2_CC_CREATE_PRIMARY) createdPrimary = true;
    });
    const { port } = proxy.address() as { port: number };
    running = startAgent([
      "register",
      "--registrar",
      "http://127.0.0.1:9",
      "--max-wait",
      "1s",
      "--tcti",
      `swtpm:host=127.0.0.1,port=${port}`,
      "--state-dir",
      await stateDir(),
      "--agent-id",
      "signalled-board",
      "--ek-alg",
      "rsa",
    ]);
    const r = await running.done;

    expect(signalledAt, "the proxy never saw a command after CreatePrimary").toBeDefined();
    expect(r.signal, shown(r)).toBe("SIGTERM");
    expect(r.exitCode).toBeNull();
    expect(r.stderr).toMatch(/SIGTERM: stopping once the TPM phase under way has flushed its objects/);
    // It went on talking to the TPM after the signal, and flushed what it had loaded.
    expect(after).toContain(TPM2_CC_FLUSH_CONTEXT);
    // It stopped at the end of that phase: the registrar (a closed port here) was never tried.
    expect(r.stderr).not.toMatch(/registrar|retry/i);
    await expectNoTransientHandles(fleet.tpm("board"));
  }, 120_000);
});
