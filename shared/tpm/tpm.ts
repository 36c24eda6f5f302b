// The TPM client: runs command declarations over a transport.
//
//   const tpm = await Tpm.open("swtpm:host=127.0.0.1,port=2321");
//   const { outPublic, name } = await tpm.run(ReadPublic, { objectHandle: ek });

import { setTimeout as delay } from "node:timers/promises";
import { type Authorization, authEntry, password } from "./auth.js";
import type { Command, CommandInput, CommandOutput } from "./command.js";
import { marshalCommand, responseCode, unmarshalResponse } from "./command.js";
import { FlushContext } from "./commands/flush-context.js";
import { openTransport } from "./transport/tcti.js";
import type { Transport, TransportOptions } from "./transport/transport.js";
import type { Handle } from "./types.js";

const RESUBMIT = new Set([0x922 /* RETRY */, 0x908 /* YIELDED */, 0x90a /* TESTING */]);
const RESUBMIT_LIMIT = 8;
const RESUBMIT_PAUSE_MS = 20;

const peekRc = (frame: Uint8Array) => (frame.length >= 10 ? responseCode(frame) : 0);

export class Tpm {
  constructor(readonly transport: Transport) {}

  /** Opens a TPM by TCTI string (`device:/dev/tpmrm0`, `swtpm:host=…,port=…`). */
  static async open(tcti: string, options: TransportOptions = {}): Promise<Tpm> {
    return new Tpm(await openTransport(tcti, options));
  }

  /**
   * Runs one command. `auths` gives one authorization per handle marked `authHandle()`, in
   * declaration order; when omitted, each gets the empty password.
   */
  async run<C extends Command>(
    cmd: C,
    input: CommandInput<C>,
    auths?: readonly Authorization[],
  ): Promise<CommandOutput<C>> {
    const entries = (auths ?? Array.from({ length: cmd.authCount }, () => password())).map(authEntry);
    const frame = marshalCommand(cmd, input, entries);
    let response = await this.transport.send(frame);
    // Part 2 §6.6.3: TPM_RC_RETRY, _YIELDED and _TESTING mean the TPM did not start the command
    // and the same bytes may be sent again (libtpms answers RETRY while it self-tests an
    // algorithm on first use). Bounded, with a short growing pause; never for TPM_RC_LOCKOUT.
    for (let attempt = 1; attempt <= RESUBMIT_LIMIT && RESUBMIT.has(peekRc(response)); attempt++) {
      await delay(RESUBMIT_PAUSE_MS * attempt);
      response = await this.transport.send(frame);
    }
    return unmarshalResponse(cmd, response);
  }

  /** Flushes a transient object or session (Part 3 §28.4). */
  async flush(handle: Handle): Promise<void> {
    await this.run(FlushContext, { flushHandle: handle });
  }

  /**
   * Runs `fn` with a transient handle and flushes it afterwards, on every path: swtpm holds
   * only three loaded objects, and a real TPM not many more.
   */
  async using<T>(handle: Handle, fn: (handle: Handle) => Promise<T>): Promise<T> {
    try {
      return await fn(handle);
    } finally {
      await this.flush(handle).catch(() => {
        // The handle may already be gone (a failed command, a session closed by the TPM);
        // the primary error, if any, is the one worth reporting.
      });
    }
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
