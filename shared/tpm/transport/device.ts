// A kernel TPM character device: /dev/tpmrm0 (the in-kernel resource manager, preferred: it
// flushes what a crashed process left behind) or /dev/tpm0. One write sends a command; one
// read returns the whole response.
import { type FileHandle, open } from "node:fs/promises";
import {
  announcedSize,
  DEFAULT_TIMEOUT_MS,
  MAX_RESPONSE_BYTES,
  TpmTransportError,
  type Transport,
  type TransportOptions,
} from "./transport.js";

export class DeviceTransport implements Transport {
  private busy = false;
  private readonly timeoutMs: number;

  private constructor(
    readonly description: string,
    private file: FileHandle | undefined,
    options: TransportOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Opens the first of `paths` that exists (so `device:` tries /dev/tpmrm0, then /dev/tpm0). */
  static async open(paths: readonly string[], options: TransportOptions = {}): Promise<DeviceTransport> {
    const failures: string[] = [];
    for (const path of paths) {
      try {
        return new DeviceTransport(path, await open(path, "r+"), options);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        failures.push(
          `${path}: ${e.code === "EACCES" ? "permission denied (add the user to the tss group)" : e.message}`,
        );
      }
    }
    throw new TpmTransportError("TPM_TRANSPORT_UNAVAILABLE", `no usable TPM device (${failures.join("; ")})`);
  }

  async send(command: Uint8Array): Promise<Uint8Array> {
    const file = this.file;
    if (!file) throw new TpmTransportError("TPM_TRANSPORT_CLOSED", `${this.description} is closed`);
    if (this.busy)
      throw new TpmTransportError(
        "TPM_TRANSPORT_BUSY",
        `${this.description}: a command is already in flight`,
      );
    this.busy = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const exchange = (async () => {
        await file.write(command);
        const buf = new Uint8Array(MAX_RESPONSE_BYTES);
        const { bytesRead } = await file.read(buf, 0, buf.length, null);
        if (bytesRead < 10) {
          throw new TpmTransportError(
            "TPM_TRANSPORT_BAD_RESPONSE",
            `${this.description} returned ${bytesRead} bytes, less than a response header`,
          );
        }
        const size = announcedSize(buf, this.description);
        if (size !== bytesRead) {
          throw new TpmTransportError(
            "TPM_TRANSPORT_BAD_RESPONSE",
            `${this.description} returned ${bytesRead} bytes but the header announced ${size}`,
          );
        }
        return buf.slice(0, bytesRead);
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // The read is still pending in the kernel; its answer would be taken for the next
          // command's. So the device is closed, and the caller must open it again.
          this.file = undefined;
          file.close().catch(() => {});
          reject(
            new TpmTransportError(
              "TPM_TRANSPORT_TIMEOUT",
              `${this.description}: no response within ${this.timeoutMs} ms; the device was closed`,
            ),
          );
        }, this.timeoutMs);
      });
      return await Promise.race([exchange, timeout]);
    } catch (err) {
      if (err instanceof TpmTransportError) throw err;
      throw new TpmTransportError("TPM_TRANSPORT_CLOSED", `${this.description}: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}
