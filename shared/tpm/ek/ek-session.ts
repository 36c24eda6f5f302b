// Authorizing the EK's USER role (Part 1 §19.7 "policy"): low-range EKs need PolicySecret on the
// endorsement hierarchy; high-range EKs need that and then PolicyOR(PolicyA, PolicyC) to land on
// their authPolicy, PolicyB. This is what tpm2-tools' tpm2_createak does.
import { timingSafeEqual } from "node:crypto";
import { type Authorization, password, policy } from "../auth.js";
import { PolicyOR } from "../commands/policy-or.js";
import { PolicySecret } from "../commands/policy-secret.js";
import { startPolicySession } from "../session.js";
import type { TpmtPublic } from "../structures/public.js";
import type { Tpm } from "../tpm.js";
import { TPM_RH } from "../types.js";
import { policyA, policyB, policyC } from "./policy.js";

export class EkPolicyError extends Error {
  override readonly name = "EkPolicyError";
  readonly code = "EK_POLICY_UNKNOWN";
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

/** Which of the profile's policies an EK carries, judged by its authPolicy. */
export function ekPolicyKind(ek: TpmtPublic): "low" | "high" {
  try {
    if (same(ek.authPolicy, policyA(ek.nameAlg))) return "low";
    if (same(ek.authPolicy, policyB(ek.nameAlg))) return "high";
  } catch {
    // An unsupported nameAlg falls through to the error below.
  }
  throw new EkPolicyError(
    `the EK's authPolicy (${Buffer.from(ek.authPolicy).toString("hex") || "empty"}) is neither PolicyA nor PolicyB of the TCG EK profile for hash 0x${ek.nameAlg.toString(16)}; cannot authorize its use`,
  );
}

/**
 * Runs `fn` with an authorization for the EK's USER role, in a fresh policy session that is
 * flushed afterwards on every path. A policy session is spent by the command it authorizes, so
 * each EK use gets its own.
 */
export async function withEkAuthorization<T>(
  tpm: Tpm,
  ek: TpmtPublic,
  fn: (auth: Authorization) => Promise<T>,
  endorsementAuth?: Uint8Array,
): Promise<T> {
  const kind = ekPolicyKind(ek);
  const session = await startPolicySession(tpm, ek.nameAlg);
  return tpm.using(session, async () => {
    await tpm.run(
      PolicySecret,
      {
        authHandle: TPM_RH.ENDORSEMENT,
        policySession: session,
        nonceTPM: new Uint8Array(),
        cpHashA: new Uint8Array(),
        policyRef: new Uint8Array(),
        expiration: 0,
      },
      [password(endorsementAuth)],
    );
    if (kind === "high") {
      await tpm.run(PolicyOR, {
        policySession: session,
        pHashList: [policyA(ek.nameAlg), policyC(ek.nameAlg)],
      });
    }
    return fn(policy(session));
  });
}
