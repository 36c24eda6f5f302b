// The HTTP floor of registration.bench.ts: a bare Hono app on @hono/node-server with the
// keylime routes' shapes (the same path patterns, JSON bodies read and answered in the
// {code, status, results} envelope, a blob of a credential's size) and no work behind them. Its
// CPU time per POST + PUT is what any registrar on this stack pays before doing anything.
// Prints one JSON line {url} once listening; runs until SIGTERM.
//
//   node --import tsx test/bench/http-floor-child.ts
import { serve } from "@hono/node-server";
import { Hono } from "hono";

/** The size of an RSA-2048 EK's credential file, base64 (tpm2-tools layout). */
const BLOB = Buffer.alloc(318, 0x5a).toString("base64");

const app = new Hono();
const AGENT = "/:ver{v[^/]*}/agents/:agentId";
app.post(AGENT, async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  if (typeof body["ek_tpm"] !== "string") return c.json({ code: 400, status: "no ek_tpm", results: {} }, 400);
  return c.json({ code: 200, status: "Success", results: { blob: BLOB } });
});
app.put(`${AGENT}/activate`, async (c) => {
  const body = (await c.req.json()) as Record<string, unknown>;
  if (typeof body["auth_tag"] !== "string")
    return c.json({ code: 400, status: "no auth_tag", results: {} }, 400);
  return c.json({ code: 200, status: "Success", results: {} });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) =>
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${info.port}` })}\n`),
);
process.once("SIGTERM", () => server.close(() => process.exit(0)));
