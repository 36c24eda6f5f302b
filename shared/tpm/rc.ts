// Response codes, TPM 2.0 Part 2 §6.6. A TPM answers a failed command with a u32 code whose
// bits say which error, and for format-1 codes which handle, session or parameter caused it.

const RC_VER1 = 0x100;
const RC_FMT1 = 0x080;
const RC_WARN = 0x900;

/** §6.6.3 format-0 errors (TPM_RC_VER1 + n). */
const VER1: Record<number, string> = {
  0: "TPM_RC_INITIALIZE",
  1: "TPM_RC_FAILURE",
  3: "TPM_RC_SEQUENCE",
  11: "TPM_RC_PRIVATE",
  25: "TPM_RC_HMAC",
  32: "TPM_RC_DISABLED",
  33: "TPM_RC_EXCLUSIVE",
  36: "TPM_RC_AUTH_TYPE",
  37: "TPM_RC_AUTH_MISSING",
  38: "TPM_RC_POLICY",
  39: "TPM_RC_PCR",
  40: "TPM_RC_PCR_CHANGED",
  45: "TPM_RC_UPGRADE",
  46: "TPM_RC_TOO_MANY_CONTEXTS",
  47: "TPM_RC_AUTH_UNAVAILABLE",
  48: "TPM_RC_REBOOT",
  49: "TPM_RC_UNBALANCED",
  66: "TPM_RC_COMMAND_SIZE",
  67: "TPM_RC_COMMAND_CODE",
  68: "TPM_RC_AUTHSIZE",
  69: "TPM_RC_AUTH_CONTEXT",
  70: "TPM_RC_NV_RANGE",
  71: "TPM_RC_NV_SIZE",
  72: "TPM_RC_NV_LOCKED",
  73: "TPM_RC_NV_AUTHORIZATION",
  74: "TPM_RC_NV_UNINITIALIZED",
  75: "TPM_RC_NV_SPACE",
  76: "TPM_RC_NV_DEFINED",
  80: "TPM_RC_BAD_CONTEXT",
  81: "TPM_RC_CPHASH",
  82: "TPM_RC_PARENT",
  83: "TPM_RC_NEEDS_TEST",
  84: "TPM_RC_NO_RESULT",
  85: "TPM_RC_SENSITIVE",
};

/** §6.6.3 format-1 errors (TPM_RC_FMT1 + n), which name a handle, session or parameter. */
const FMT1: Record<number, string> = {
  1: "TPM_RC_ASYMMETRIC",
  2: "TPM_RC_ATTRIBUTES",
  3: "TPM_RC_HASH",
  4: "TPM_RC_VALUE",
  5: "TPM_RC_HIERARCHY",
  7: "TPM_RC_KEY_SIZE",
  8: "TPM_RC_MGF",
  9: "TPM_RC_MODE",
  10: "TPM_RC_TYPE",
  11: "TPM_RC_HANDLE",
  12: "TPM_RC_KDF",
  13: "TPM_RC_RANGE",
  14: "TPM_RC_AUTH_FAIL",
  15: "TPM_RC_NONCE",
  16: "TPM_RC_PP",
  18: "TPM_RC_SCHEME",
  21: "TPM_RC_SIZE",
  22: "TPM_RC_SYMMETRIC",
  23: "TPM_RC_TAG",
  24: "TPM_RC_SELECTOR",
  26: "TPM_RC_INSUFFICIENT",
  27: "TPM_RC_SIGNATURE",
  28: "TPM_RC_KEY",
  29: "TPM_RC_POLICY_FAIL",
  31: "TPM_RC_INTEGRITY",
  32: "TPM_RC_TICKET",
  33: "TPM_RC_RESERVED_BITS",
  34: "TPM_RC_BAD_AUTH",
  35: "TPM_RC_EXPIRED",
  36: "TPM_RC_POLICY_CC",
  37: "TPM_RC_BINDING",
  38: "TPM_RC_CURVE",
  39: "TPM_RC_ECC_POINT",
};

/** §6.6.3 warnings (TPM_RC_WARN + n): the command may succeed if retried later. */
const WARN: Record<number, string> = {
  1: "TPM_RC_CONTEXT_GAP",
  2: "TPM_RC_OBJECT_MEMORY",
  3: "TPM_RC_SESSION_MEMORY",
  4: "TPM_RC_MEMORY",
  5: "TPM_RC_SESSION_HANDLES",
  6: "TPM_RC_OBJECT_HANDLES",
  7: "TPM_RC_LOCALITY",
  8: "TPM_RC_YIELDED",
  9: "TPM_RC_CANCELED",
  10: "TPM_RC_TESTING",
  32: "TPM_RC_NV_RATE",
  33: "TPM_RC_LOCKOUT",
  34: "TPM_RC_RETRY",
  35: "TPM_RC_NV_UNAVAILABLE",
  127: "TPM_RC_NOT_USED",
};
for (let i = 0; i < 7; i++) {
  WARN[0x010 + i] = `TPM_RC_REFERENCE_H${i}`;
  WARN[0x018 + i] = `TPM_RC_REFERENCE_S${i}`;
}

/** What a response code means, split into its parts. */
export interface DecodedRc {
  readonly rc: number;
  /** The base name, e.g. "TPM_RC_AUTH_FAIL" (or "TPM_RC_UNKNOWN_0x…"). */
  readonly name: string;
  /** Set for warnings: the same command may succeed later (TPM_RC_RETRY, TPM_RC_LOCKOUT…). */
  readonly warning: boolean;
  /** For format-1 codes: which handle, session or parameter (1-based), as the TPM reported it. */
  readonly subject?: { kind: "handle" | "session" | "parameter"; index: number };
}

/** Decodes a TPM response code into its name and subject (Part 2 §6.6, Figure 26). */
export function decodeRc(rc: number): DecodedRc {
  const hex = `0x${rc.toString(16).padStart(8, "0")}`;
  if ((rc & 0xffff0000) !== 0) {
    // A TSS layer or resource manager code (e.g. 0x0009xxxx from a kernel RM), not the TPM's own.
    return { rc, name: `TSS_RC_LAYER_${(rc >>> 16) & 0xff}_${hex}`, warning: false };
  }
  if (rc & RC_FMT1) {
    const n = rc & 0x3f;
    const name = FMT1[n] ?? `TPM_RC_UNKNOWN_${hex}`;
    const num = (rc >>> 8) & 0xf;
    if (rc & 0x40) return { rc, name, warning: false, subject: { kind: "parameter", index: num } };
    if (num === 0) return { rc, name, warning: false };
    if (num & 0x8) return { rc, name, warning: false, subject: { kind: "session", index: num & 0x7 } };
    return { rc, name, warning: false, subject: { kind: "handle", index: num } };
  }
  if ((rc & 0xd00) === RC_WARN) {
    return { rc, name: WARN[rc & 0x7f] ?? `TPM_RC_UNKNOWN_${hex}`, warning: true };
  }
  if (rc & RC_VER1) {
    // Part 2 §6.6.2: bit 10 (T) marks a vendor-defined code, bit 11 (S) a warning.
    if (rc & 0x400) return { rc, name: `TPM_RC_VENDOR_${hex}`, warning: (rc & 0x800) !== 0 };
    return { rc, name: VER1[rc & 0x7f] ?? `TPM_RC_UNKNOWN_${hex}`, warning: false };
  }
  return { rc, name: rc === 0 ? "TPM_RC_SUCCESS" : `TPM_RC_TPM12_${hex}`, warning: false };
}

/** Plain-words hints for the codes an operator is most likely to meet. */
const HINTS: Record<string, string> = {
  TPM_RC_LOCKOUT:
    "the TPM is in dictionary-attack lockout; wait for the lockout interval or reset it with the lockout auth, and do not retry in a loop",
  TPM_RC_RETRY: "the TPM is busy; retry later",
  TPM_RC_AUTH_FAIL: "the authorization value is wrong (this counts towards dictionary-attack lockout)",
  TPM_RC_BAD_AUTH: "the authorization value is wrong",
  TPM_RC_POLICY_FAIL: "the policy session does not satisfy the object's authPolicy",
  TPM_RC_INTEGRITY:
    "an integrity check failed (for ActivateCredential: the credential was made for another key, or it was tampered with)",
  TPM_RC_INITIALIZE: "the TPM has not been started (TPM2_Startup)",
  TPM_RC_HANDLE: "the handle does not refer to a loaded object or defined index",
  TPM_RC_OBJECT_MEMORY: "the TPM has no free object slots; flush transient objects",
  TPM_RC_NV_UNINITIALIZED: "the NV index has never been written",
};

/** Thrown when the TPM answers a command with an error code. */
export class TpmResponseError extends Error {
  override readonly name = "TpmResponseError";
  readonly code: string;
  readonly decoded: DecodedRc;
  constructor(
    readonly command: string,
    readonly rc: number,
  ) {
    const d = decodeRc(rc);
    const where = d.subject ? ` (${d.subject.kind} ${d.subject.index})` : "";
    const hint = HINTS[d.name];
    super(`${command} failed: ${d.name}${where}, rc 0x${rc.toString(16)}${hint ? `: ${hint}` : ""}`);
    this.code = d.name;
    this.decoded = d;
  }
}
