// The registrar's admission policy and limits (DESIGN §6), with their defaults. `serve` flags
// override them; tests pass their own.

export interface RateLimit {
  /** Requests allowed per window. */
  requests: number;
  windowSeconds: number;
}

export interface RegistrarConfig {
  /** Admit only TPMs pre-registered from a trusted station's manifest (or tpm-endorsements). */
  requirePreRegistration: boolean;
  /** Refuse a registration without an EK certificate that chains to a manufacturer CA. */
  requireEkCert: boolean;
  /**
   * Admit TPMs without an EK certificate when pre-registered by `ek_pub_sha256` alone (the
   * allow-list mode, for TPMs such as Intel PTT). Off unless enabled.
   */
  allowHashOnly: boolean;
  /** Lifetime of an online credential challenge. */
  challengeSeconds: number;
  /** Lifetime of an offline session (challenge file to response file). */
  offlineSeconds: number;
  /** Per source address, on the agent API. */
  rateLimitPerAddress: RateLimit;
  /** Per EK (`ek_pub_sha256`), on registrations. */
  rateLimitPerEk: RateLimit;
  /** Largest JSON body on the agent and admin APIs. */
  maxJsonBytes: number;
  /** Largest bundle accepted by POST /api/v1/bundles. */
  maxBundleBytes: number;
}

export const DEFAULT_CONFIG: RegistrarConfig = {
  requirePreRegistration: true,
  requireEkCert: true,
  allowHashOnly: false,
  challengeSeconds: 5 * 60,
  offlineSeconds: 7 * 24 * 60 * 60,
  rateLimitPerAddress: { requests: 600, windowSeconds: 60 },
  rateLimitPerEk: { requests: 20, windowSeconds: 60 },
  maxJsonBytes: 256 * 1024,
  maxBundleBytes: 2 * 1024 * 1024 * 1024,
};
