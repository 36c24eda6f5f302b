// Agent ids (DESIGN §5 "Agent ids", §7): a literal id, or a strategy that derives one from the
// device. `hash_ek` is keylime's: the hex SHA-256 of the PEM text of the EK public key, so an
// agent registered by us and one registered by keylime's own agent get the same id.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import { publicAreaToKeyObject } from "../../shared/tpm/verifier/public-key.js";
import { ConfigError, messageOf } from "../errors.js";

/** Where the dmi and devicetree strategies read; parameters so that tests can point elsewhere. */
export const ID_SOURCES = {
  dmi: "/sys/class/dmi/id/product_uuid",
  devicetree: "/proc/device-tree/serial-number",
};

/** The registrar accepts this alphabet only (it goes in URL paths and file names). */
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,254}$/;

/** True for a strategy that needs the EK (so the TPM) to compute the id. */
export const needsEk = (setting: string): boolean => setting === "hash_ek";

/** keylime's hash_ek: SHA-256 over the SPKI PEM text (64-character lines, trailing newline). */
export function hashEk(ekPublic: TpmtPublic): string {
  const pem = publicAreaToKeyObject(ekPublic).export({ type: "spki", format: "pem" }) as string;
  return createHash("sha256").update(pem, "ascii").digest("hex");
}

function readIdFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, "latin1");
  } catch (e) {
    throw new ConfigError(
      "AGENT_ID_UNAVAILABLE",
      `agent id "${what}": cannot read ${path} (${messageOf(e)}); this board does not have it, choose another --agent-id strategy`,
    );
  }
  // The device-tree property is a C string: it ends with NUL (and may be padded with more).
  return text.replace(/\0+$/, "").trim();
}

/**
 * The agent id for a setting. `ekPublic` is needed for hash_ek only. Throws ConfigError when
 * the source is missing or yields an id the registrar would refuse.
 */
export function resolveAgentId(setting: string, ekPublic?: TpmtPublic, sources = ID_SOURCES): string {
  let id: string;
  switch (setting) {
    case "hash_ek":
      if (!ekPublic) throw new TypeError("hash_ek needs the EK public area");
      id = hashEk(ekPublic);
      break;
    case "dmi":
      id = readIdFile(sources.dmi, "dmi");
      break;
    case "devicetree":
      id = readIdFile(sources.devicetree, "devicetree");
      break;
    case "hostname":
      id = hostname();
      break;
    default:
      id = setting;
  }
  if (!AGENT_ID.test(id))
    throw new ConfigError(
      "AGENT_ID_INVALID",
      `agent id "${id.slice(0, 80)}" (from ${setting}) is not valid: use 1–255 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`,
    );
  return id;
}
