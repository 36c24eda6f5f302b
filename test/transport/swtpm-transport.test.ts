// SwtpmTransport against peers that are not a well-behaved swtpm: real TCP servers on
// 127.0.0.1 that hang up, stall, lie in the response header, trickle bytes or are not there.
// Each failure must be a TpmTransportError with the right code and the peer's address in its
// message; nothing may crash the process or hang; and the transport must work again for the
// next command once the peer behaves.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { SwtpmTransport } from "../../shared/tpm/transport/swtpm.js";
import { MAX_RESPONSE_BYTES, TpmTransportError } from "../../shared/tpm/transport/transport.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
/** TPM2_GetRandom(8) (Part 3 §16.1) and a well-formed answer to it. */
const COMMAND = hex("8001 0000000c 0000017b 0008");
const RESPONSE = hex("8001 00000014 00000000 0008 0102030405060708");
const TIMEOUT_MS = 300;

/** What the fake TPM does with the n-th command it receives (0-based) on a connection. */
type Behaviour = (socket: Socket, command: Buffer, n: number) => void;

const servers: Server[] = [];
const peers = new Set<Socket>();
const transports: SwtpmTransport[] = [];

interface Peer {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Commands received so far, over all connections. */
  readonly commands: Buffer[];
}

/**
 * A TCP server that reads whole command frames (by their header's commandSize) and hands each
 * to `behaviours[connection index]`, the last one serving every later connection.
 */
async function fakeTpm(...behaviours: Behaviour[]): Promise<Peer> {
  const commands: Buffer[] = [];
  let connections = 0;
  const server = createServer((socket) => {
    const behave = behaviours[Math.min(connections, behaviours.length - 1)] as Behaviour;
    connections++;
    peers.add(socket);
    socket.on("close", () => peers.delete(socket));
    socket.on("error", () => {});
    socket.setNoDelay(true);
    let pending = Buffer.alloc(0);
    let n = 0;
    socket.on("data", (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 6 && pending.length >= pending.readUInt32BE(2)) {
        const command = pending.subarray(0, pending.readUInt32BE(2));
        pending = pending.subarray(command.length);
        commands.push(command);
        behave(socket, command, n++);
      }
    });
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get connections() {
      return connections;
    },
    commands,
  };
}

const answers: Behaviour = (socket) => socket.write(RESPONSE);

function transportTo(port: number): SwtpmTransport {
  const t = new SwtpmTransport("127.0.0.1", port, { timeoutMs: TIMEOUT_MS });
  transports.push(t);
  return t;
}

/** Resolves to the TpmTransportError `p` rejects with, and how long that took. */
async function failure(p: Promise<unknown>): Promise<{ error: TpmTransportError; ms: number }> {
  const start = Date.now();
  try {
    await p;
  } catch (error) {
    if (error instanceof TpmTransportError) return { error, ms: Date.now() - start };
    throw new Error(`rejected with ${String(error)} instead of TpmTransportError`, { cause: error });
  }
  throw new Error("resolved, but must have been rejected");
}

/** Runs `fn` and returns the uncaught exceptions it caused (which would crash a real process). */
async function uncaughtDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const saved = process.listeners("uncaughtException");
  const caught: unknown[] = [];
  const record = (e: unknown) => caught.push(e);
  process.removeAllListeners("uncaughtException");
  process.on("uncaughtException", record);
  try {
    await fn();
  } finally {
    process.off("uncaughtException", record);
    for (const l of saved) process.on("uncaughtException", l);
  }
  return caught;
}

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  for (const s of peers) s.destroy();
  peers.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

describe("SwtpmTransport against a well-behaved peer", () => {
  it("sends the command in one piece and returns the whole response", async () => {
    const peer = await fakeTpm(answers);
    const t = transportTo(peer.port);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
    expect(peer.commands).toEqual([COMMAND]);
  });

  it("keeps one connection for consecutive commands", async () => {
    const peer = await fakeTpm(answers);
    const t = transportTo(peer.port);
    await t.send(COMMAND);
    await t.send(COMMAND);
    expect(peer.connections).toBe(1);
  });

  it("reassembles a response that arrives one byte at a time", async () => {
    const peer = await fakeTpm((socket) => {
      void (async () => {
        for (const byte of RESPONSE) {
          socket.write(Uint8Array.of(byte));
          await sleep(2);
        }
      })();
    });
    const t = transportTo(peer.port);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("reassembles a response whose header is split across writes", async () => {
    const peer = await fakeTpm((socket) => {
      void (async () => {
        for (const [from, to] of [
          [0, 3],
          [3, 9],
          [9, 11],
          [11, RESPONSE.length],
        ] as const) {
          socket.write(RESPONSE.subarray(from, to));
          await sleep(5);
        }
      })();
    });
    const t = transportTo(peer.port);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("refuses a second command while one is in flight, and still completes the first", async () => {
    const peer = await fakeTpm((socket) => setTimeout(() => socket.write(RESPONSE), 50));
    const t = transportTo(peer.port);
    const first = t.send(COMMAND);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_BUSY");
    expect(error.message).toBe(`swtpm 127.0.0.1:${peer.port}: a command is already in flight`);
    expect(Buffer.from(await first)).toEqual(RESPONSE);
  });

  it("releases the connection on close(), so another client can use swtpm", async () => {
    const peer = await fakeTpm(answers);
    const t = transportTo(peer.port);
    await t.send(COMMAND);
    const [server] = [...peers];
    const closed = once(server as Socket, "close");
    await t.close();
    await closed;
    expect(peers.size).toBe(0);
  });
});

describe("SwtpmTransport against a hostile or broken peer", () => {
  it("reports a peer that hangs up after receiving the command, then reconnects", async () => {
    const peer = await fakeTpm((socket) => socket.end(), answers);
    const t = transportTo(peer.port);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_CLOSED");
    expect(error.message).toBe(
      `swtpm 127.0.0.1:${peer.port} closed the connection after 0 of ≥10 response bytes`,
    );
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
    expect(peer.connections).toBe(2);
  });

  it("reports a peer that resets the connection after receiving the command", async () => {
    const peer = await fakeTpm((socket) => socket.resetAndDestroy(), answers);
    const t = transportTo(peer.port);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_CLOSED");
    expect(error.message).toContain(`swtpm 127.0.0.1:${peer.port}`);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("gives up on a peer that never answers after timeoutMs, then reconnects", async () => {
    const peer = await fakeTpm(() => {}, answers);
    const t = transportTo(peer.port);
    const { error, ms } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_TIMEOUT");
    expect(error.message).toBe(
      `swtpm 127.0.0.1:${peer.port}: no complete response within ${TIMEOUT_MS} ms (0 bytes received)`,
    );
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(ms).toBeLessThan(TIMEOUT_MS + 1_000);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("gives up on a peer that stalls halfway through a response", async () => {
    const peer = await fakeTpm((socket) => socket.write(RESPONSE.subarray(0, 12)));
    const t = transportTo(peer.port);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_TIMEOUT");
    expect(error.message).toContain("(12 bytes received)");
  });

  it.each([
    ["smaller than a header", 9],
    ["of zero", 0],
    ["one above MAX_RESPONSE_BYTES", MAX_RESPONSE_BYTES + 1],
    ["of 4 GiB", 0xffffffff],
  ])("refuses a header announcing a size %s at once, without waiting for the bytes", async (_, size) => {
    const header = Buffer.alloc(10);
    header.writeUInt16BE(0x8001, 0);
    header.writeUInt32BE(size, 2);
    const peer = await fakeTpm((socket) => socket.write(header), answers);
    const t = transportTo(peer.port);
    const { error, ms } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_BAD_RESPONSE");
    expect(error.message).toBe(
      `swtpm 127.0.0.1:${peer.port} sent a response header announcing ${size} bytes (allowed: 10..${MAX_RESPONSE_BYTES}); is this a TPM?`,
    );
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("reports a peer that announces 20 bytes and hangs up after 12", async () => {
    const peer = await fakeTpm((socket) => socket.end(RESPONSE.subarray(0, 12)), answers);
    const t = transportTo(peer.port);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_CLOSED");
    expect(error.message).toBe(
      `swtpm 127.0.0.1:${peer.port} closed the connection after 12 of 20 response bytes`,
    );
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("refuses a response with more bytes than its header announced, then reconnects", async () => {
    const peer = await fakeTpm((socket) => socket.write(Buffer.concat([RESPONSE, hex("abcd")])), answers);
    const t = transportTo(peer.port);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_BAD_RESPONSE");
    expect(error.message).toBe(`swtpm 127.0.0.1:${peer.port} sent 2 byte(s) more than its header announced`);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
    expect(peer.connections).toBe(2);
  });

  it("does not take stray bytes sent between commands for the next response", async () => {
    const stray = hex("8001 0000000a 00000101"); // looks like a TPM_RC_FAILURE answer
    const peer = await fakeTpm((socket, _command, n) => {
      socket.write(RESPONSE);
      if (n === 0) setTimeout(() => socket.write(stray), 20);
    });
    const t = transportTo(peer.port);
    await t.send(COMMAND);
    await sleep(60);
    const second = await t.send(COMMAND).catch((e: unknown) => e);
    // Either the transport noticed the stray bytes and failed cleanly, or it ignored them; it
    // must never hand them out as the answer to the second command.
    if (second instanceof TpmTransportError) expect(second.code).toBe("TPM_TRANSPORT_BAD_RESPONSE");
    else expect(Buffer.from(second as Uint8Array)).toEqual(RESPONSE);
  });

  it("reconnects after the peer closed the idle connection", async () => {
    const peer = await fakeTpm((socket) => socket.end(RESPONSE));
    const t = transportTo(peer.port);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
    await sleep(50);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
    expect(peer.connections).toBe(2);
  });

  it("survives the peer resetting the idle connection, and reconnects", async () => {
    const peer = await fakeTpm((socket) => {
      socket.write(RESPONSE);
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    const t = transportTo(peer.port);
    const uncaught = await uncaughtDuring(async () => {
      await t.send(COMMAND);
      await sleep(100);
    });
    expect(uncaught.map(String)).toEqual([]);
    expect(Buffer.from(await t.send(COMMAND))).toEqual(RESPONSE);
  });

  it("rejects a command in flight when the transport is closed under it", async () => {
    const peer = await fakeTpm(() => {});
    const t = transportTo(peer.port);
    const inFlight = failure(t.send(COMMAND));
    await sleep(20);
    await t.close();
    const { error } = await inFlight;
    expect(error.code).toBe("TPM_TRANSPORT_CLOSED");
  });

  it("closes even if the peer never acknowledges the close", async () => {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      peers.add(socket);
      socket.on("error", () => {});
      socket.on("data", () => socket.write(RESPONSE));
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const t = transportTo((server.address() as { port: number }).port);
    await t.send(COMMAND);
    // Without the transport's own fallback this close would wait for the peer forever; the
    // generous test timeout turns that hang into a failure.
    await expect(t.close()).resolves.toBeUndefined();
  }, 10_000);

  it("reports that nothing is listening, with the address it tried", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const t = transportTo(port);
    const { error } = await failure(t.send(COMMAND));
    expect(error.code).toBe("TPM_TRANSPORT_UNAVAILABLE");
    expect(error.message).toBe(
      `swtpm 127.0.0.1:${port}: cannot connect (connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ECONNREFUSED");
  });
});
