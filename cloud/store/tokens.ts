// Admin API bearer tokens (DESIGN §6). A token is `rgt_<id>_<secret>`: the id names it in
// listings and the audit log; only the SHA-256 of the whole token is stored, so a copy of the
// database gives no usable token. The plain token is shown once, when it is created.
import { createHash, randomBytes } from "node:crypto";
import type { SqlReader, SqlRunner } from "./sql.js";

export const SCOPES = [
  "bundles:import",
  "devices:read",
  "devices:write",
  "devices:revoke",
  "stations:write",
  "cas:write",
  "audit:read",
] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

interface TokenRow {
  id: string;
  name: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

const toInfo = (r: TokenRow): TokenInfo => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes.split(" ").filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  lastUsedAt: r.last_used_at,
});

export class TokenError extends Error {
  override readonly name = "TokenError";
  readonly code = "TOKEN_INVALID";
}

const TOKEN_FORMAT = /^rgt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const tokenHash = (token: string) => new Uint8Array(createHash("sha256").update(token, "utf8").digest());

/** Checks scope names, e.g. from `--scopes devices:read,devices:revoke`. */
export function parseScopes(list: readonly string[]): Scope[] {
  const unknown = list.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new TokenError(
      `unknown scope${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}: the scopes are ${SCOPES.join(", ")}`,
    );
  if (list.length === 0) throw new TokenError(`a token needs at least one scope (${SCOPES.join(", ")})`);
  return [...new Set(list)] as Scope[];
}

/** Creates a token; the returned `token` is the only copy of it. */
export async function createToken(
  tx: SqlRunner,
  name: string,
  scopes: readonly Scope[],
  options: { expiresAt?: number | null; now?: number } = {},
): Promise<{ token: string; info: TokenInfo }> {
  if (name.length === 0 || name.length > 128) throw new TokenError("a token name must be 1–128 characters");
  const id = randomBytes(6).toString("hex");
  const token = `rgt_${id}_${randomBytes(32).toString("base64url")}`;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  await tx.run(
    "INSERT INTO tokens (id, sha256, name, scopes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    [id, tokenHash(token), name, scopes.join(" "), now, options.expiresAt ?? null],
  );
  return {
    token,
    info: {
      id,
      name,
      scopes: [...scopes],
      createdAt: now,
      expiresAt: options.expiresAt ?? null,
      revokedAt: null,
      lastUsedAt: null,
    },
  };
}

/**
 * The token's record when `token` is a live token (well-formed, known, not revoked, not
 * expired); undefined otherwise. The lookup is by the SHA-256 of the token, so how long it
 * takes says nothing about the secret.
 */
export async function findLiveToken(
  db: SqlReader,
  token: string,
  now = Date.now(),
): Promise<TokenInfo | undefined> {
  if (!TOKEN_FORMAT.test(token)) return undefined;
  const r = await db.get<TokenRow>("SELECT * FROM tokens WHERE sha256 = ?", [tokenHash(token)]);
  if (!r || r.revoked_at !== null) return undefined;
  if (r.expires_at !== null && r.expires_at <= Math.floor(now / 1000)) return undefined;
  return toInfo(r);
}

export async function listTokens(db: SqlReader): Promise<TokenInfo[]> {
  return (await db.all<TokenRow>("SELECT * FROM tokens ORDER BY created_at, id")).map(toInfo);
}

export async function revokeToken(tx: SqlRunner, id: string, now = Date.now()): Promise<void> {
  const r = await tx.run("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [
    Math.floor(now / 1000),
    id,
  ]);
  if (r.changes === 0) throw new TokenError(`no live token with id ${id}`);
}
