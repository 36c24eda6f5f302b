// The TPM client: runs command declarations over a transport.
//
//   const tpm = await Tpm.open("swtpm:host=127.0.0.1,port=2321");
//   const { outPublic, name } = await tpm.run(ReadPublic, { objectHandle: ek });
import { type Authorization, authEntry, password } from "./auth.js";
import type { Command, CommandInput, CommandOutput } from "./command.js";
import { marshalCommand, unmarshalResponse } from "./command.js";
import { FlushContext } from "./commands/flush-context.js";
import { openTransport } from "./transport/tcti.js";
import type { Transport, TransportOptions } from "./transport/transport.js";
import type { Handle } from "./types.js";

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
    const response = await this.transport.send(frame);
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
