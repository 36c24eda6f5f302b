// A transport moves one command frame to the TPM and one response frame back. It knows
// nothing of what the bytes mean beyond the 10-byte header (Part 1 §18.2–§18.3), which it
// needs to know how much to read.

/** The largest response we accept. TPMs report MAX_RESPONSE_SIZE, typically 4096. */
export const MAX_RESPONSE_BYTES = 16 * 1024;
/** Default time to wait for one response: RSA key generation on a slow TPM takes tens of seconds. */
export const DEFAULT_TIMEOUT_MS = 120_000;

export interface Transport {
  /** "swtpm 127.0.0.1:2321", "/dev/tpmrm0": for messages. */
  readonly description: string;
  /** Sends one command and resolves with its complete response frame. One at a time. */
  send(command: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface TransportOptions {
  /** How long one command may take before the transport gives up (ms). */
  timeoutMs?: number;
}

export type TransportErrorCode =
  | "TPM_TRANSPORT_TIMEOUT"
  | "TPM_TRANSPORT_CLOSED"
  | "TPM_TRANSPORT_BAD_RESPONSE"
  | "TPM_TRANSPORT_UNAVAILABLE"
  | "TPM_TRANSPORT_BUSY";

/** Anything that went wrong between us and the TPM, as opposed to an error the TPM reported. */
export class TpmTransportError extends Error {
  override readonly name = "TpmTransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Checks a response header once the first 10 bytes are in, and returns the frame size it
 * announces. A size below the header or above the limit means the peer is not a TPM (or is
 * broken): refuse rather than wait for bytes that will never come.
 */
export function announcedSize(header: Uint8Array, where: string): number {
  const size = new DataView(header.buffer, header.byteOffset, 10).getUint32(2);
  if (size < 10 || size > MAX_RESPONSE_BYTES) {
    throw new TpmTransportError(
      "TPM_TRANSPORT_BAD_RESPONSE",
      `${where} sent a response header announcing ${size} bytes (allowed: 10..${MAX_RESPONSE_BYTES}); is this a TPM?`,
    );
  }
  return size;
}
