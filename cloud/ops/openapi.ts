// The OpenAPI 3.1 description served at /openapi.json. Filled in as the routes land (issue 5).
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: "3.1.0",
    info: { title: "TPM fleet registrar", version: "1" },
    paths: {},
  };
}
