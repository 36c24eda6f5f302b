// Branded types: a handle is not just any number, and a TCTI string is not just any string.

/** A TPM handle (TPM_HANDLE, Part 2 §7): transient, persistent, NV index, session or permanent. */
export type Handle = number & { readonly __brand: "TpmHandle" };
export const asHandle = (n: number): Handle => n as Handle;

/** A TCTI string as tpm2-tools spells it: `device:/dev/tpmrm0`, `swtpm:host=127.0.0.1,port=2321`. */
export type Tcti = string & { readonly __brand: "Tcti" };

/** Permanent handles, Part 2 §7.4 TPM_RH. */
export const TPM_RH = {
  OWNER: asHandle(0x40000001),
  NULL: asHandle(0x40000007),
  PW: asHandle(0x40000009),
  LOCKOUT: asHandle(0x4000000a),
  ENDORSEMENT: asHandle(0x4000000b),
  PLATFORM: asHandle(0x4000000c),
} as const;

/** Formats a handle the way tpm2-tools prints it, for messages. */
export const hexHandle = (h: number): string => `0x${h.toString(16).toUpperCase().padStart(8, "0")}`;
