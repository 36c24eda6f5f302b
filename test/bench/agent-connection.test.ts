// The load generator's HTTP client against a real TCP server on loopback that answers with
// bytes each test chooses.
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AgentConnection, AgentConnectionError } from "./agent-connection.js";

let server: Server | undefined;
let conn: AgentConnection | undefined;

afterEach(async () => {
  conn?.close();
  conn = undefined;
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A server that hands each request's bytes to `answer` once the request's body is in. */
async function serve(answer: (socket: Socket, request: string) => void): Promise<string> {
  server = createServer((socket) => {
    // The client hangs up on an answer it refuses, maybe while this side still writes it.
    socket.on("error", () => undefined);
    let got = "";
    socket.on("data", (d) => {
      got += d.toString("latin1");
      const end = got.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(got)?.[1] ?? 0);
      if (end >= 0 && got.length >= end + 4 + length) {
        const request = got;
        got = "";
        answer(socket, request);
      }
    });
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return `http://127.0.0.1:${address.port}`;
}

describe("AgentConnection", () => {
  it("sends the request in HTTP/1.1 and reads answers that arrive in pieces, on one connection", async () => {
    const requests: string[] = [];
    const url = await serve((socket, request) => {
      requests.push(request);
      const body = `{"n":${requests.length}}`;
      const reply = `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      socket.write(reply.slice(0, 20));
      setTimeout(() => socket.write(reply.slice(20, reply.length - 3)), 5);
      setTimeout(() => socket.write(reply.slice(reply.length - 3)), 10);
    });
    conn = await AgentConnection.open(url);
    const first = await conn.request("POST", "/v2.6/agents/a1", '{"x":"é"}');
    const second = await conn.request("PUT", "/v2.6/agents/a1/activate", "{}");
    expect(first).toEqual({ status: 201, body: Buffer.from('{"n":1}') });
    expect(second.body.toString()).toBe('{"n":2}');
    const port = new URL(url).port;
    expect(requests[0]).toBe(
      `POST /v2.6/agents/a1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"x":"é"}`.replace(
        "é",
        Buffer.from("é").toString("latin1"),
      ),
    );
    expect(requests[1]?.startsWith("PUT /v2.6/agents/a1/activate HTTP/1.1\r\n")).toBe(true);
  });

  it("refuses an answer without Content-Length (chunked) instead of guessing where it ends", async () => {
    const url = await serve((socket) =>
      socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"),
    );
    conn = await AgentConnection.open(url);
    const error = await conn.request("POST", "/x", "{}").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentConnectionError);
    expect((error as Error).message).toMatch(/without a status line or Content-Length/);
  });

  it("refuses bytes after the answer, and an answer of over 1 MiB", async () => {
    let answers = 0;
    const url = await serve((socket) => {
      answers++;
      if (answers === 1) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n");
      else socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n${"x".repeat(1_100_000)}`);
    });
    conn = await AgentConnection.open(url);
    const extra = await conn.request("POST", "/x", "{}").catch((e: unknown) => e);
    expect((extra as Error).message).toMatch(/sent bytes after its answer/);

    conn = await AgentConnection.open(url);
    const huge = await conn.request("POST", "/x", "{}").catch((e: unknown) => e);
    expect((huge as Error).message).toMatch(/over 1048576 bytes/);
  });

  it("fails the waiting request when the server closes the connection", async () => {
    const url = await serve((socket) => socket.end());
    conn = await AgentConnection.open(url);
    const error = await conn.request("POST", "/x", "{}").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentConnectionError);
    expect((error as Error).message).toMatch(/closed the connection/);
  });
});
