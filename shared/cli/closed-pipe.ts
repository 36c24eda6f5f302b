// A reader that stops early (`registrar cas list | head -1`) closes the pipe, and the next write
// to stdout fails with EPIPE. That is the reader's choice, not an error of the command: end
// quietly, as Unix tools do, instead of dying with an unhandled 'error' event's stack trace.

/** Ends the process with status 0 when stdout's reader has gone away. */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
    throw e;
  });
}
