// Part 2 §10.13: the authorization area of commands and responses.
import { struct, u8, u32 } from "../codec/primitives.js";
import { TPM2B_AUTH, TPM2B_NONCE } from "./basic.js";

/** §10.13.2 TPMS_AUTH_COMMAND */
export const TPMS_AUTH_COMMAND = struct("TPMS_AUTH_COMMAND", {
  sessionHandle: u32,
  nonce: TPM2B_NONCE,
  /** TPMA_SESSION bits. */
  sessionAttributes: u8,
  hmac: TPM2B_AUTH,
});

/** §10.13.3 TPMS_AUTH_RESPONSE */
export const TPMS_AUTH_RESPONSE = struct("TPMS_AUTH_RESPONSE", {
  nonce: TPM2B_NONCE,
  sessionAttributes: u8,
  hmac: TPM2B_AUTH,
});
