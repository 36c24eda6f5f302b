// Admin token administration (CLI only: a token cannot mint tokens), audited. The audit entry
// names the token's id and scopes, never the token.
import { appendAudit } from "../audit/audit-log.js";
import type { Registrar } from "../registrar/registrar.js";
import { createToken, revokeToken, type Scope, type TokenInfo } from "../store/tokens.js";

export async function createTokenAudited(
  registrar: Registrar,
  name: string,
  scopes: readonly Scope[],
  expiresAt: number | null,
  actor: string,
): Promise<{ token: string; info: TokenInfo }> {
  return registrar.db.write(async (tx) => {
    const r = await createToken(tx, name, scopes, { expiresAt, now: registrar.clock() });
    await appendAudit(
      tx,
      { actor, action: "token.create", subject: r.info.id, detail: { name, scopes, expires_at: expiresAt } },
      registrar.clock(),
    );
    return r;
  });
}

export async function revokeTokenAudited(registrar: Registrar, id: string, actor: string): Promise<void> {
  await registrar.db.write(async (tx) => {
    await revokeToken(tx, id, registrar.clock());
    await appendAudit(tx, { actor, action: "token.revoke", subject: id }, registrar.clock());
  });
}

export function tokenJson(t: TokenInfo): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    revoked_at: t.revokedAt,
  };
}
