// The keylime registrar request bodies (DESIGN §6), read as hostile input: POST
// {ekcert, ek_tpm, aik_tpm, mtls_cert, ip, port} and PUT {auth_tag}. Size limits, strict
// base64, and a 400 naming the field for anything else.
import type { Context } from "hono";
import type { RegistrationRequest } from "../../registration/index.js";
import { ApiError } from "../envelope.js";
import {
  base64Field,
  decodeBase64Strict,
  type JsonObject,
  optionalIntField,
  optionalTextField,
  readJsonObject,
  textField,
} from "../json-body.js";

/** A TPM2B_PUBLIC is at most a few hundred bytes (RSA-4096: ~600). */
const MAX_TPM2B_PUBLIC = 4096;
const MAX_EK_CERT = 64 * 1024;
const MAX_MTLS_CERT = 64 * 1024;

/** `ekcert`: base64 DER or PEM text; absent, null or keylime's "emulator" mean none. */
function ekcertField(body: JsonObject): Uint8Array | null {
  const v = body["ekcert"];
  if (v === undefined || v === null || v === "emulator") return null;
  if (typeof v !== "string")
    throw new ApiError(400, "FIELD_TYPE", 'the field "ekcert" must be a base64 DER or PEM string, or null');
  if (v.length > (MAX_EK_CERT * 4) / 3 + 1024)
    throw new ApiError(400, "FIELD_TOO_LONG", `the field "ekcert" is longer than a certificate can be`);
  if (v.includes("-----BEGIN")) return new Uint8Array(Buffer.from(v, "utf8"));
  return decodeBase64Strict(v, "ekcert", MAX_EK_CERT);
}

export async function readRegistrationBody(
  c: Context,
  agentId: string,
  maxJsonBytes: number,
): Promise<RegistrationRequest> {
  const body = await readJsonObject(c, maxJsonBytes);
  return {
    agentId,
    ekTpm: base64Field(body, "ek_tpm", MAX_TPM2B_PUBLIC),
    aikTpm: base64Field(body, "aik_tpm", MAX_TPM2B_PUBLIC),
    ekcert: ekcertField(body),
    mtlsCert: optionalTextField(body, "mtls_cert", MAX_MTLS_CERT) ?? null,
    ip: optionalTextField(body, "ip", 255) ?? null,
    port: optionalIntField(body, "port", 0, 65535) ?? null,
  };
}

export async function readActivationBody(c: Context, maxJsonBytes: number): Promise<string> {
  return textField(await readJsonObject(c, maxJsonBytes), "auth_tag", 256);
}
