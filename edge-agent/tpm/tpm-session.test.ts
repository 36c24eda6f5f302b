import { describe, expect, it } from "vitest";
import { TpmResponseError } from "../../shared/tpm/index.js";
import { AgentTpmError, EXIT } from "../errors.js";
import { asTpmError } from "./tpm-session.js";

// Part 2 §6.6.3: TPM_RC_LOCKOUT = TPM_RC_WARN (0x900) + 0x021, TPM_RC_RETRY = 0x900 + 0x022.
describe("TPM errors in plain words", () => {
  it("says a TPM in dictionary-attack lockout is not retried", () => {
    const e = asTpmError(new TpmResponseError("TPM2_ActivateCredential", 0x921));
    expect(e).toBeInstanceOf(AgentTpmError);
    expect((e as AgentTpmError).exit).toBe(EXIT.tpm);
    expect((e as AgentTpmError).message).toMatch(
      /TPM_RC_LOCKOUT.*dictionary-attack lockout.*The agent does not retry: every attempt would extend the lockout/,
    );
  });

  it("says a busy TPM is temporary", () => {
    const e = asTpmError(new TpmResponseError("TPM2_CreatePrimary", 0x922)) as AgentTpmError;
    expect(e.code).toBe("TPM_RC_RETRY");
    expect(e.message).toMatch(/the TPM is busy.*This is temporary: run the agent again later/);
  });
});
