// The OpenAPI 3.1 description served at /openapi.json: every route of the registrar, its
// authentication and its answers. Every answer is keylime's envelope {code, status, results}.
// test/registrar/openapi.test.ts checks that each route listed here exists on the app and
// that each route of the app is listed.

type Op = { summary: string; scope?: string; mtls?: boolean; body?: string };

const AGENT = "/v{version}/agents";
const ROUTES: Record<string, Record<string, Op>> = {
  "/healthz": { get: { summary: "The registrar and its database answer" } },
  "/metrics": { get: { summary: "Prometheus metrics (text exposition format 0.0.4)" } },
  "/openapi.json": { get: { summary: "This document" } },
  "/version": { get: { summary: "keylime API versions: results {current_version, supported_versions}" } },
  [AGENT]: {
    get: { summary: "Active agent ids (keylime): results {uuids}", scope: "devices:read", mtls: true },
  },
  [`${AGENT}/{agent_id}`]: {
    post: {
      summary:
        "Register an agent (keylime): body {ekcert, ek_tpm, aik_tpm, mtls_cert, ip, port}; results {blob}, the credential activation challenge",
      body: "application/json",
    },
    put: { summary: "Activate an agent (keylime): body {auth_tag}", body: "application/json" },
    get: { summary: "An active agent (keylime); 404 until activated", scope: "devices:read", mtls: true },
    delete: { summary: "Remove an agent (keylime)", scope: "devices:revoke", mtls: true },
  },
  [`${AGENT}/{agent_id}/activate`]: {
    put: { summary: "Activate an agent (keylime): body {auth_tag}", body: "application/json" },
  },
  "/api/v1/bundles": {
    post: {
      summary:
        "Import a device manifest, bundle or sealed bundle (application/cbor); results: the import report",
      scope: "bundles:import",
      body: "application/cbor",
    },
  },
  "/api/v1/devices": {
    get: {
      summary: "Devices; query state, station, serial, captured_since, after_id, limit",
      scope: "devices:read",
    },
  },
  "/api/v1/devices/{ref}": {
    get: {
      summary: "One device (id, ek_pub_sha256 or serial) with its EKs and history",
      scope: "devices:read",
    },
  },
  "/api/v1/devices/{ref}/revoke": {
    post: { summary: "Revoke a device: body {reason}", scope: "devices:revoke", body: "application/json" },
  },
  "/api/v1/devices/{ref}/restore": { post: { summary: "Undo a revocation", scope: "devices:revoke" } },
  "/api/v1/tpm-endorsements": {
    post: {
      summary:
        "Pre-register one EK (Intel SecL shape): body {certificate, issuer, hardware_uuid, comment, revoked}",
      scope: "devices:write",
      body: "application/json",
    },
  },
  "/api/v1/stations": {
    get: { summary: "Trusted stations with the head of their bundle chains", scope: "devices:read" },
    post: {
      summary: "Trust a station: body {name, public_key (PEM)}",
      scope: "stations:write",
      body: "application/json",
    },
  },
  "/api/v1/stations/{name}/retire": { post: { summary: "Stop trusting a station", scope: "stations:write" } },
  "/api/v1/stations/{name}/devices": {
    get: { summary: "Devices a station captured; query since (epoch seconds)", scope: "devices:read" },
  },
  "/api/v1/stations/{name}/revoke-devices": {
    post: {
      summary: "Revoke every device a station captured since a time: body {since, reason}",
      scope: "devices:revoke",
      body: "application/json",
    },
  },
  "/api/v1/cas": {
    get: { summary: "Manufacturer CAs; query all=true for retired ones too", scope: "devices:read" },
    post: {
      summary: "Add CA certificates: body {certificates (PEM)}",
      scope: "cas:write",
      body: "application/json",
    },
  },
  "/api/v1/cas/{id}/retire": { post: { summary: "Stop trusting a CA", scope: "cas:write" } },
  "/api/v1/audit": {
    get: { summary: "Audit log entries, newest first; query before, limit", scope: "audit:read" },
  },
  "/api/v1/offline/challenge": {
    post: {
      summary:
        "Offline registration: body the request file, answer the signed challenge file (both application/cbor)",
      scope: "devices:write",
      body: "application/cbor",
    },
  },
  "/api/v1/offline/activate": {
    post: {
      summary: "Offline registration: body the response file (application/cbor)",
      scope: "devices:write",
      body: "application/cbor",
    },
  },
  "/api/v1/audit/verify": { get: { summary: "Verify the audit log's hash chain", scope: "audit:read" } },
};

/** Every method and path (OpenAPI form) the document describes. */
export function documentedRoutes(): { method: string; path: string }[] {
  return Object.entries(ROUTES).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method, path })),
  );
}

const ENVELOPE = {
  type: "object",
  required: ["code", "status", "results"],
  properties: {
    code: { type: "integer", description: "The HTTP status again (keylime)" },
    status: { type: "string", description: "Success, or why the request was refused" },
    results: { type: "object", description: "The answer; on an error {error: CODE}" },
  },
};

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, ops] of Object.entries(ROUTES)) {
    const item: Record<string, unknown> = {};
    for (const [method, op] of Object.entries(ops)) {
      const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
        name: m[1],
        in: "path",
        required: true,
        schema: { type: "string" },
      }));
      item[method] = {
        summary: op.summary,
        ...(params.length ? { parameters: params } : {}),
        ...(op.scope
          ? { security: [{ bearer: [op.scope] }, ...(op.mtls ? [{ adminClientCertificate: [] }] : [])] }
          : {}),
        ...(op.body ? { requestBody: { required: true, content: { [op.body]: {} } } } : {}),
        responses: {
          default: {
            description: "keylime envelope",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Envelope" } } },
          },
        },
      };
    }
    paths[path] = item;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "TPM fleet registrar",
      version: "1",
      description:
        "keylime-compatible registrar that admits only TPMs captured by trusted factory stations, with EK certificates that chain to a manufacturer CA.",
    },
    paths,
    components: {
      schemas: { Envelope: ENVELOPE },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "An admin token from 'registrar tokens create'",
        },
        adminClientCertificate: {
          type: "mutualTLS",
          description: "A client certificate from the --admin-ca CA",
        },
      },
    },
  };
}
