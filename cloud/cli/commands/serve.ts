// `registrar serve`: runs the HTTP service until SIGINT/SIGTERM, then closes the server and
// the database cleanly (queued writes finish first).
import { readFile } from "node:fs/promises";
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../../shared/cli/args.js";
import { parseDuration } from "../../../shared/cli/duration.js";
import { importCaDir } from "../../admin/cas.js";
import { type ServerTls, startServer } from "../../server.js";
import { cliActor, DB_OPTIONS, openRegistrar } from "../database.js";

const COMMAND = "serve";
const DEFAULT_PORT = 8890;

async function readText(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new UsageError(`${option} ${path}: ${(e as Error).message}`, COMMAND);
  }
}

export async function serveCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    ...DB_OPTIONS,
    port: { type: "string" },
    host: { type: "string" },
    "ca-dir": { type: "string" },
    "tls-cert": { type: "string" },
    "tls-key": { type: "string" },
    "admin-ca": { type: "string" },
    "no-require-pre-registration": { type: "boolean" },
    "no-require-ek-cert": { type: "boolean" },
    "allow-hash-only": { type: "boolean" },
    "challenge-ttl": { type: "string" },
    "offline-ttl": { type: "string" },
    synchronous: { type: "string" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port "${values.port}" is not a TCP port (0–65535)`, COMMAND);
  if (Boolean(values["tls-cert"]) !== Boolean(values["tls-key"]))
    throw new UsageError("--tls-cert and --tls-key go together", COMMAND);
  if (values["admin-ca"] && !values["tls-cert"])
    throw new UsageError("--admin-ca needs TLS (--tls-cert and --tls-key)", COMMAND);
  const synchronous = values.synchronous ?? "full";
  if (synchronous !== "full" && synchronous !== "normal")
    throw new UsageError(`--synchronous must be full or normal, not "${synchronous}"`, COMMAND);
  const tls: ServerTls | undefined = values["tls-cert"]
    ? {
        cert: await readText(values["tls-cert"], "--tls-cert"),
        key: await readText(values["tls-key"]!, "--tls-key"),
        ...(values["admin-ca"] ? { adminCa: await readText(values["admin-ca"], "--admin-ca") } : {}),
      }
    : undefined;
  const config = {
    requirePreRegistration: !values["no-require-pre-registration"],
    requireEkCert: !values["no-require-ek-cert"],
    allowHashOnly: values["allow-hash-only"] ?? false,
    ...(values["challenge-ttl"]
      ? {
          challengeSeconds: Math.ceil(
            parseDuration(values["challenge-ttl"], "--challenge-ttl", COMMAND) / 1000,
          ),
        }
      : {}),
    ...(values["offline-ttl"]
      ? { offlineSeconds: Math.ceil(parseDuration(values["offline-ttl"], "--offline-ttl", COMMAND) / 1000) }
      : {}),
  };

  const registrar = await openRegistrar(values.db, COMMAND, {
    create: true,
    synchronous,
    registrar: { config },
  });
  try {
    if (values["ca-dir"]) {
      const r = await importCaDir(registrar, values["ca-dir"], cliActor());
      for (const s of r.skipped) io.err(`registrar serve: skipped ${s.file}: ${s.reason}\n`);
      io.err(
        `registrar serve: ${r.added.length} CA(s) added from ${values["ca-dir"]}, ${r.unchanged} already trusted\n`,
      );
    }
    const server = await startServer(registrar, {
      port,
      ...(values.host ? { host: values.host } : {}),
      ...(tls ? { tls } : {}),
    });
    const policy = [
      config.requirePreRegistration ? "pre-registration required" : "pre-registration NOT required",
      config.requireEkCert ? "EK certificate required" : "EK certificate NOT required",
      config.allowHashOnly ? "hash-only allow-list on" : null,
    ].filter(Boolean);
    io.out(
      `registrar listening on ${server.url} (database ${registrar.db.path}, sqlite synchronous=${synchronous.toUpperCase()}; ${policy.join(", ")})\n`,
    );
    await new Promise<void>((done) => {
      const stop = (signal: string) => {
        io.err(`registrar serve: ${signal}, stopping\n`);
        done();
      };
      process.once("SIGINT", () => stop("SIGINT"));
      process.once("SIGTERM", () => stop("SIGTERM"));
    });
    await server.close();
    return EXIT.ok;
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === "EADDRINUSE" ||
      (e as NodeJS.ErrnoException).code === "EACCES"
    ) {
      io.err(`registrar serve: cannot listen on port ${port}: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    throw e;
  } finally {
    await registrar.db.close();
  }
}
