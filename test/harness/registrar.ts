// A real registrar for tests: a fresh sqlite file in a temp dir, the Hono app on a free
// loopback port, and helpers to mint admin tokens and trust the test PKI's CAs. Closed (server
// stopped, database closed, files removed) by close().
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { RegistrarConfig } from "../../cloud/registrar/config.js";
import { Registrar } from "../../cloud/registrar/registrar.js";
import { type RunningServer, type ServerTls, startServer } from "../../cloud/server.js";
import { addCa } from "../../cloud/store/cas.js";
import { SqliteDatabase } from "../../cloud/store/sqlite-database.js";
import { createToken, SCOPES, type Scope } from "../../cloud/store/tokens.js";
import { loadCaDir } from "../../shared/ekcert/store.js";
import { keepRunFiles, runDir } from "./run-dir.js";

export interface TestRegistrar {
  readonly url: string;
  readonly registrar: Registrar;
  readonly db: SqliteDatabase;
  /** The temp dir holding the database. */
  readonly dir: string;
  /** A fresh admin token with these scopes (default: all). */
  token(scopes?: readonly Scope[]): Promise<string>;
  /** Trusts every CA certificate in `dir` (e.g. pki.trustedCaDir). */
  trustCaDir(dir: string): Promise<number>;
  close(): Promise<void>;
}

export interface TestRegistrarOptions {
  config?: Partial<RegistrarConfig>;
  clock?: () => number;
  tls?: ServerTls;
}

export async function startTestRegistrar(options: TestRegistrarOptions = {}): Promise<TestRegistrar> {
  const dir = await mkdtemp(join(runDir(), "registrar-"));
  const db = await SqliteDatabase.open(join(dir, "registrar.db"));
  const registrar = new Registrar(db, {
    ...(options.config ? { config: options.config } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  let server: RunningServer;
  try {
    server = await startServer(registrar, { ...(options.tls ? { tls: options.tls } : {}) });
  } catch (e) {
    await db.close();
    throw e;
  }
  return {
    url: server.url,
    registrar,
    db,
    dir,
    async token(scopes = SCOPES) {
      return (await db.write((tx) => createToken(tx, "test", scopes))).token;
    },
    async trustCaDir(caDir) {
      const { store } = await loadCaDir(caDir);
      await db.write(async (tx) => {
        for (const cert of store.certificates) await addCa(tx, cert, caDir);
      });
      return store.size;
    },
    async close() {
      await server.close();
      await db.close();
      if (!keepRunFiles()) await rm(dir, { recursive: true, force: true });
    },
  };
}
