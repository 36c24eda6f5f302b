// Agent ids (DESIGN §5): a UUID, keylime's hash_ek (64 hex digits), a DMI or device-tree
// serial, a host name. They travel in URL paths, file names and the audit log, so only a safe
// alphabet is accepted.
import { invalid } from "./errors.js";

const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/;

/** The agent id, or a RegistrationError (AGENT_ID_INVALID) saying what is wrong with it. */
export function checkAgentId(agentId: string): string {
  if (!AGENT_ID.test(agentId))
    throw invalid(
      "AGENT_ID_INVALID",
      `agent id "${agentId.slice(0, 80)}${agentId.length > 80 ? "…" : ""}" is not valid: use 1–255 letters, digits, '.', '_', ':' or '-', starting with a letter or digit (a UUID or keylime's hash_ek)`,
    );
  return agentId;
}
