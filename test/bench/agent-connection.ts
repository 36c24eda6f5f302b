// The registration bench's HTTP client: one keep-alive HTTP/1.1 connection per simulated agent,
// one request at a time, JSON bodies, answers with a Content-Length. The load generator shares
// the 2 cores with the registrar it measures, and node:http's client (request and response
// objects, header maps, the Agent's socket pool, streams) cost it about as much CPU per request
// as the registrar's own HTTP stack: CPU the registrar then could not have. This writes the
// request bytes and reads the status and body, nothing more.
import { connect, type Socket } from "node:net";

export interface Reply {
  status: number;
  body: Buffer;
}

/** The generator could not talk to the server, or the server answered in a way this does not read. */
export class AgentConnectionError extends Error {
  override readonly name = "AgentConnectionError";
}

const HEADER_END = Buffer.from("\r\n\r\n");
/** A bench answer is a few hundred bytes; anything near this is a bug, not an answer. */
const MAX_REPLY_BYTES = 1 << 20;

export class AgentConnection {
  readonly #socket: Socket;
  readonly #host: string;
  #received: Buffer[] = [];
  #receivedBytes = 0;
  #waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;

  private constructor(socket: Socket, host: string) {
    this.#socket = socket;
    this.#host = host;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (e) => this.#fail(new AgentConnectionError(`connection to ${host}: ${e.message}`)));
    socket.on("close", () => this.#fail(new AgentConnectionError(`${host} closed the connection`)));
  }

  /** Connects to `url`'s host and port (http only). */
  static open(url: string): Promise<AgentConnection> {
    const { hostname, port, protocol } = new URL(url);
    if (protocol !== "http:") throw new AgentConnectionError(`${url}: only http:// is supported`);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => {
        socket.off("error", reject);
        resolve(new AgentConnection(socket, `${hostname}:${port}`));
      });
      socket.once("error", reject);
    });
  }

  /** Sends one request with a JSON body and waits for its answer. */
  request(method: string, path: string, json: string): Promise<Reply> {
    if (this.#waiting) throw new AgentConnectionError("one request at a time on an agent connection");
    return new Promise<Reply>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(
        `${method} ${path} HTTP/1.1\r\nHost: ${this.#host}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
      );
    });
  }

  close(): void {
    this.#waiting = undefined;
    this.#socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#received.push(chunk);
    this.#receivedBytes += chunk.length;
    const read = this.#readReply();
    if (read instanceof Error) this.#fail(read);
    else if (read) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.resolve(read);
    }
  }

  /** The answer, once all of it is here (undefined until then), or why it cannot be read. */
  #readReply(): Reply | AgentConnectionError | undefined {
    if (this.#receivedBytes > MAX_REPLY_BYTES)
      return new AgentConnectionError(`an answer from ${this.#host} is over ${MAX_REPLY_BYTES} bytes`);
    const all = this.#received.length === 1 ? this.#received[0]! : Buffer.concat(this.#received);
    this.#received = [all];
    const end = all.indexOf(HEADER_END);
    if (end < 0) return undefined;
    const head = all.toString("latin1", 0, end);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(head);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!status || !length)
      return new AgentConnectionError(
        `${this.#host} answered without a status line or Content-Length: ${head.slice(0, 200)}`,
      );
    const start = end + HEADER_END.length;
    const bodyEnd = start + Number(length[1]);
    if (all.length < bodyEnd) return undefined;
    if (all.length > bodyEnd)
      return new AgentConnectionError(`${this.#host} sent bytes after its answer, unasked`);
    this.#received = [];
    this.#receivedBytes = 0;
    return { status: Number(status[1]), body: all.subarray(start, bodyEnd) };
  }

  #fail(error: Error): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
    this.#socket.destroy();
  }
}
