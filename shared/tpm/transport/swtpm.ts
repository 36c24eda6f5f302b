// swtpm's `socket` interface: raw TPM commands on a TCP data port (its control channel, on
// port+1, is not needed for commands). swtpm serves one data client at a time and reads a
// command as soon as its header has arrived, so each command goes out in a single write, and
// the connection is closed when we are done so tpm2-tools can use the same swtpm.
import { Socket } from "node:net";
import {
  announcedSize,
  DEFAULT_TIMEOUT_MS,
  TpmTransportError,
  type Transport,
  type TransportOptions,
} from "./transport.js";

export class SwtpmTransport implements Transport {
  readonly description: string;
  private socket: Socket | undefined;
  private busy = false;
  private readonly timeoutMs: number;

  constructor(
    private readonly host: string,
    private readonly port: number,
    options: TransportOptions = {},
  ) {
    this.description = `swtpm ${host}:${port}`;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new TpmTransportError(
            "TPM_TRANSPORT_TIMEOUT",
            `${this.description}: no connection within ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(
          new TpmTransportError(
            "TPM_TRANSPORT_UNAVAILABLE",
            `${this.description}: cannot connect (${err.message})`,
            {
              cause: err,
            },
          ),
        );
      });
      socket.connect(this.port, this.host, () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        // Between commands nobody listens: a reset of the idle connection must not become an
        // uncaught exception. Forget the socket; the next command reconnects.
        socket.on("error", () => {
          socket.destroy();
          if (this.socket === socket) this.socket = undefined;
        });
        socket.setNoDelay(true);
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  async send(command: Uint8Array): Promise<Uint8Array> {
    if (this.busy)
      throw new TpmTransportError(
        "TPM_TRANSPORT_BUSY",
        `${this.description}: a command is already in flight`,
      );
    this.busy = true;
    try {
      const socket = await this.connect();
      return await this.exchange(socket, command);
    } finally {
      this.busy = false;
    }
  }

  private exchange(socket: Socket, command: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let received = 0;
      let expected = 0;
      const finish = (err: Error | undefined, frame?: Uint8Array) => {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("error", onError);
        socket.off("close", onClose);
        if (err) {
          // After a failed exchange the stream position is unknown: never reuse the socket.
          socket.destroy();
          this.socket = undefined;
          reject(err);
        } else resolve(frame as Uint8Array);
      };
      const onData = (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        try {
          if (expected === 0 && received >= 10)
            expected = announcedSize(Buffer.concat(chunks), this.description);
        } catch (err) {
          finish(err as Error);
          return;
        }
        if (expected === 0 || received < expected) return;
        if (received > expected) {
          finish(
            new TpmTransportError(
              "TPM_TRANSPORT_BAD_RESPONSE",
              `${this.description} sent ${received - expected} byte(s) more than its header announced`,
            ),
          );
          return;
        }
        finish(undefined, new Uint8Array(Buffer.concat(chunks)));
      };
      const onError = (err: Error) =>
        finish(
          new TpmTransportError("TPM_TRANSPORT_CLOSED", `${this.description}: ${err.message}`, {
            cause: err,
          }),
        );
      const onClose = () =>
        finish(
          new TpmTransportError(
            "TPM_TRANSPORT_CLOSED",
            `${this.description} closed the connection after ${received} of ${expected || "≥10"} response bytes`,
          ),
        );
      const timer = setTimeout(
        () =>
          finish(
            new TpmTransportError(
              "TPM_TRANSPORT_TIMEOUT",
              `${this.description}: no complete response within ${this.timeoutMs} ms (${received} bytes received)`,
            ),
          ),
        this.timeoutMs,
      );
      socket.on("data", onData);
      socket.on("error", onError);
      socket.on("close", onClose);
      socket.write(command);
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
      // A peer that never acknowledges the close must not keep us waiting.
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }
}
