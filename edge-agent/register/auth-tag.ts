// keylime's proof of activation (DESIGN §6): auth_tag = lowercase hex of
// HMAC-SHA384(key = the ASCII text of base64(challenge), message = agent_id). The key is the
// base64 text, not the challenge bytes: that is how keylime's registrar computes it.
import { createHmac } from "node:crypto";

export function authTag(challenge: Uint8Array, agentId: string): string {
  const key = Buffer.from(Buffer.from(challenge).toString("base64"), "ascii");
  return createHmac("sha384", key).update(agentId, "utf8").digest("hex");
}
