// Signals during a TPM phase (DESIGN §7: transient objects are flushed on every path). The
// default action of SIGTERM ends the process at once, before the `finally` blocks that flush
// the EK and the AK have run. On a TPM without a resource manager (/dev/tpm0, swtpm) those
// objects then stay loaded until the TPM restarts, and a few such leftovers use up its
// transient slots (TPM_RC_OBJECT_MEMORY at the next CreatePrimary), e.g. after a
// `systemctl restart` during the seconds an RSA CreatePrimary takes on a real TPM.
//
// So while a phase runs, SIGINT, SIGTERM and SIGHUP are held: the phase ends (done or failed)
// and cleans up, the TPM connection is closed, and then the held signal is raised again with
// its default action, so the process ends as killed by it, which is what systemd and shells
// expect. A second signal while one is held acts at once.

const HELD = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Runs `fn` (one TPM phase) with SIGINT, SIGTERM and SIGHUP held until it has finished. */
export async function holdingSignals<T>(fn: () => Promise<T>): Promise<T> {
  let held: NodeJS.Signals | undefined;
  const stopHolding = () => {
    for (const signal of HELD) process.removeListener(signal, hold);
  };
  function hold(signal: NodeJS.Signals): void {
    held = signal;
    // With no listener left, the next signal has its default action again.
    stopHolding();
    process.stderr.write(
      `edge-agent: ${signal}: stopping once the TPM phase under way has flushed its objects (send ${signal} again to stop at once)\n`,
    );
  }
  for (const signal of HELD) process.on(signal, hold);
  try {
    return await fn();
  } finally {
    stopHolding();
    if (held !== undefined) process.kill(process.pid, held);
  }
}
