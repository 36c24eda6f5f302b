// Opening the registrar's database for a CLI command: `--db FILE`, default ./registrar.db.
// Only `init` and `serve` create it; every other command needs it to exist, so a typo in the
// path is an error rather than a new empty registrar.
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { UsageError } from "../../shared/cli/args.js";
import { Registrar, type RegistrarOptions } from "../registrar/registrar.js";
import { StoreError } from "../store/sql.js";
import { SqliteDatabase, type Synchronous } from "../store/sqlite-database.js";

export const DEFAULT_DB = "registrar.db";

export const DB_OPTIONS = { db: { type: "string" } } as const;

/** Opens the database and the Registrar over it; the caller closes `registrar.db`. */
export async function openRegistrar(
  path: string | undefined,
  command: string,
  options: { create?: boolean; synchronous?: Synchronous; registrar?: RegistrarOptions } = {},
): Promise<Registrar> {
  const file = resolve(path ?? DEFAULT_DB);
  try {
    const db = await SqliteDatabase.open(file, {
      mustExist: !options.create,
      ...(options.synchronous ? { synchronous: options.synchronous } : {}),
    });
    return new Registrar(db, options.registrar);
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message, command);
    throw e;
  }
}

/** Who runs the command, for the audit log. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}

/** Runs `fn` with the registrar open, closing the database afterwards whatever happens. */
export async function withRegistrar<T>(
  path: string | undefined,
  command: string,
  fn: (registrar: Registrar) => Promise<T>,
  options: { create?: boolean } = {},
): Promise<T> {
  const registrar = await openRegistrar(path, command, options);
  try {
    return await fn(registrar);
  } finally {
    await registrar.db.close();
  }
}
