// Small helpers for interop tests that use our client and tpm2-tools on the same swtpm.
import { Tpm } from "../../shared/tpm/tpm.js";
import { type SimTpm, tpm2, tpm2Text } from "../harness/index.js";

/**
 * Runs `fn` with our client on the TPM and always closes it afterwards: swtpm serves one client
 * at a time, so tpm2-tools can only connect once we are gone.
 */
export async function withTpm<T>(sim: SimTpm, fn: (tpm: Tpm) => Promise<T>): Promise<T> {
  const tpm = await Tpm.open(sim.tcti, { timeoutMs: 30_000 });
  try {
    return await fn(tpm);
  } finally {
    await tpm.close();
  }
}

/** The `name:` line tpm2_readpublic prints for a context file or handle. */
export async function toolsName(sim: SimTpm, object: string, cwd: string): Promise<string> {
  const text = await tpm2Text(sim.tcti, "tpm2_readpublic", ["-c", object], { cwd });
  const match = /^name: ([0-9a-f]+)$/m.exec(text);
  if (!match?.[1]) throw new Error(`no name in tpm2_readpublic output:\n${text}`);
  return match[1];
}

/** tpm2_flushcontext -t: the tools leave transient objects loaded when there is no resource manager. */
export async function toolsFlushTransient(sim: SimTpm, cwd: string): Promise<void> {
  await tpm2(sim.tcti, "tpm2_flushcontext", ["-t"], { cwd });
}
