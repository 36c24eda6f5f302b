// The keylime registrar's agent API (DESIGN §6, keylime API 2.x), exactly as a stock registrar
// serves it: GET /version, POST /v{ver}/agents/{id} answering the credential blob, PUT
// /v{ver}/agents/{id}/activate with the auth_tag. Nothing of our own is added, so the agent
// works against keylime's registrar as well as ours.
import { readFileSync } from "node:fs";
import { ConfigError, messageOf, RegistrarAnswerError, RegistrarRefusedError } from "../errors.js";
import { exchange, type HttpOptions } from "./http.js";
import type { Retrier } from "./retry.js";

/** The body of POST /v{ver}/agents/{id}: base64 TPM2B_PUBLICs and DER, keylime's field names. */
export interface RegistrationBody {
  ekcert: string;
  ek_tpm: string;
  aik_tpm: string;
  mtls_cert: null;
  ip: string;
  port: number;
}

/** The API versions whose agent routes this client speaks (the registration flow is the same). */
const SPOKEN = /^2\.[0-9]+$/;
const FALLBACK_VERSION = "2.1";

export class KeylimeRegistrarClient {
  private readonly http: HttpOptions;
  private version: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly retrier: Retrier,
    registrarCa?: string,
  ) {
    let ca: string | undefined;
    if (registrarCa !== undefined) {
      try {
        ca = readFileSync(registrarCa, "utf8");
      } catch (e) {
        throw new ConfigError(
          "REGISTRAR_CA_UNREADABLE",
          `cannot read --registrar-ca ${registrarCa}: ${messageOf(e)}`,
        );
      }
    }
    this.http = ca ? { ca } : {};
  }

  /** The registrar's current API version (GET /version), when this client speaks it; else 2.1. */
  async apiVersion(): Promise<string> {
    if (this.version) return this.version;
    try {
      const env = await this.retrier.run("the request for the registrar's API version", () =>
        exchange("GET", `${this.baseUrl}/version`, undefined, "the version request", this.http),
      );
      const current = env.results["current_version"];
      this.version = typeof current === "string" && SPOKEN.test(current) ? current : FALLBACK_VERSION;
    } catch (e) {
      // Registrars older than API 2.1 have no /version; 2.1 is what they speak then.
      if (e instanceof RegistrarRefusedError && e.httpStatus === 404) this.version = FALLBACK_VERSION;
      else throw e;
    }
    return this.version;
  }

  /** POST the registration; returns the credential blob's bytes. */
  async register(agentId: string, body: RegistrationBody): Promise<Uint8Array> {
    const version = await this.apiVersion();
    const what = `the registration of agent ${agentId}`;
    const env = await this.retrier.run(what, () =>
      exchange(
        "POST",
        `${this.baseUrl}/v${version}/agents/${encodeURIComponent(agentId)}`,
        body,
        what,
        this.http,
      ),
    );
    const blob = env.results["blob"];
    if (typeof blob !== "string" || blob === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(blob))
      throw new RegistrarAnswerError(
        "REGISTRAR_BLOB_MISSING",
        `the registrar accepted ${what} but its answer holds no base64 "blob" (results: ${JSON.stringify(env.results).slice(0, 120)})`,
      );
    return new Uint8Array(Buffer.from(blob, "base64"));
  }

  /** PUT the auth_tag: the registrar then marks the agent active. */
  async activate(agentId: string, authTag: string): Promise<void> {
    const version = await this.apiVersion();
    const what = `the activation of agent ${agentId}`;
    await this.retrier.run(what, () =>
      exchange(
        "PUT",
        `${this.baseUrl}/v${version}/agents/${encodeURIComponent(agentId)}/activate`,
        { auth_tag: authTag },
        what,
        this.http,
      ),
    );
  }
}
