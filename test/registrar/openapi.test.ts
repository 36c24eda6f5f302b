// /openapi.json lists every route, and every route it lists exists: each documented method
// and path, with sample parameters, reaches a handler (any answer but the app's own "there is
// no such route" 404), and the app has no route the document leaves out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../cloud/api/app.js";
import { documentedRoutes } from "../../cloud/ops/openapi.js";
import { startTestRegistrar, type TestRegistrar } from "../harness/index.js";

let reg: TestRegistrar;
beforeAll(async () => {
  reg = await startTestRegistrar();
});
afterAll(async () => {
  await reg?.close();
});

const SAMPLES: Record<string, string> = {
  version: "2.6",
  agent_id: "d432fbb3-d2f1-4a97-9ef7-75bd81c00000",
  ref: "1",
  name: "line1",
  id: "00000000",
};

describe("/openapi.json", () => {
  it("describes routes that all exist", async () => {
    for (const { method, path } of documentedRoutes()) {
      const url = path.replace(/\{(\w+)\}/g, (_, p: string) => SAMPLES[p] ?? "x");
      const r = await fetch(`${reg.url}${url}`, {
        method: method.toUpperCase(),
        ...(method === "get" || method === "delete"
          ? {}
          : { headers: { "content-type": "application/json" }, body: "{}" }),
      });
      const body = r.headers.get("content-type")?.includes("json")
        ? ((await r.json()) as { results?: { error?: string } })
        : {};
      expect(body.results?.error, `${method.toUpperCase()} ${url}`).not.toBe("NOT_FOUND");
    }
  });

  it("leaves out no route of the app", () => {
    // The app names the version segment ":ver" (it matches "v2.6"), the document "v{version}".
    const documented = new Set(
      documentedRoutes().map(({ method, path }) => {
        const appForm = path.replace("/v{version}", "/:ver").replace("{agent_id}", "{agentId}");
        return `${method.toUpperCase()} ${appForm.replace(/\{(\w+)\}/g, ":$1")}`;
      }),
    );
    const app = createApp(reg.registrar);
    const actual = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)\{[^}]*\}/g, ":$1").replace(/(.)\/$/, "$1")}`);
    const missing = [...new Set(actual)].filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });
});
