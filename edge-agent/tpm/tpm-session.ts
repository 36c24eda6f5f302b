// Opening the TPM for one phase of the agent's work and closing it afterwards, on every path,
// with whatever went wrong between us and the TPM reported as an AgentTpmError (exit status
// "TPM error"). The TPM is not held open while the agent waits for the registrar: swtpm serves
// one client at a time, and a board's other software may need the TPM meanwhile. Signals that
// arrive during a phase wait for its end (signal-hold.ts).
import { EkError, EkPolicyError, Tpm, TpmResponseError, TpmTransportError } from "../../shared/tpm/index.js";
import { AgentTpmError, isAgentError, messageOf } from "../errors.js";
import { holdingSignals } from "./signal-hold.js";

/**
 * Runs `fn` with an open TPM; the connection is closed afterwards. A SIGINT, SIGTERM or SIGHUP
 * meanwhile is held until then (signal-hold.ts), so `fn`'s own cleanup flushes its objects.
 */
export function withTpm<T>(tcti: string, fn: (tpm: Tpm) => Promise<T>): Promise<T> {
  return holdingSignals(() => openAndRun(tcti, fn));
}

async function openAndRun<T>(tcti: string, fn: (tpm: Tpm) => Promise<T>): Promise<T> {
  let tpm: Tpm;
  try {
    tpm = await Tpm.open(tcti);
  } catch (e) {
    throw new AgentTpmError(
      "TPM_UNAVAILABLE",
      `cannot open the TPM at "${tcti}": ${messageOf(e)}. Check --tcti and that this user may use the TPM device`,
      { cause: e },
    );
  }
  try {
    return await fn(tpm);
  } catch (e) {
    throw asTpmError(e);
  } finally {
    await tpm.close().catch(() => {});
  }
}

/** Errors of the TPM stack as AgentTpmError; the agent's own errors pass through. */
export function asTpmError(e: unknown): unknown {
  if (isAgentError(e)) return e;
  if (e instanceof TpmResponseError) {
    // rc.ts puts TPM_RC_LOCKOUT and TPM_RC_RETRY in plain words; say also what the agent does.
    const extra =
      e.code === "TPM_RC_LOCKOUT"
        ? " The agent does not retry: every attempt would extend the lockout."
        : e.decoded.warning
          ? " This is temporary: run the agent again later."
          : "";
    return new AgentTpmError(e.code, `TPM error: ${e.message}.${extra}`, { cause: e });
  }
  if (e instanceof TpmTransportError)
    return new AgentTpmError(e.code, `lost the TPM: ${e.message}`, { cause: e });
  if (e instanceof EkError || e instanceof EkPolicyError)
    return new AgentTpmError(e.code, `this TPM's EK cannot be used: ${e.message}`, { cause: e });
  return e;
}
