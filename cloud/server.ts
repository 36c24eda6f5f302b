// Runs the registrar's HTTP application on @hono/node-server: plain HTTP, or HTTPS with an
// optional admin client CA (keylime's tenant authenticates with an mTLS client certificate).
// Binds to 127.0.0.1 unless told otherwise.
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { createApp } from "./api/app.js";
import type { Registrar } from "./registrar/registrar.js";

export interface ServerTls {
  /** PEM certificate chain and private key of the server. */
  cert: string;
  key: string;
  /** PEM CA whose client certificates are admins on the agent routes' GET and DELETE. */
  adminCa?: string;
}

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  tls?: ServerTls;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startServer(registrar: Registrar, options: ServeOptions = {}): Promise<RunningServer> {
  const app = createApp(registrar);
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const tls = options.tls;
    const server = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port: options.port ?? 0,
        ...(tls
          ? {
              createServer: createHttpsServer,
              serverOptions: {
                cert: tls.cert,
                key: tls.key,
                ...(tls.adminCa ? { ca: tls.adminCa, requestCert: true, rejectUnauthorized: false } : {}),
              },
            }
          : {}),
      },
      (info: AddressInfo) => {
        const shownHost = host.includes(":") ? `[${host}]` : host;
        resolve({
          url: `${tls ? "https" : "http"}://${shownHost}:${info.port}`,
          port: info.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        });
      },
    );
    server.once("error", reject);
  });
}
