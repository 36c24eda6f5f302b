// `registrar audit verify | list [--limit N]`.
import { EXIT, type ExitStatus, type Io, UsageError } from "../../../shared/cli/args.js";
import { listAudit, verifyAuditLog } from "../../audit/audit-log.js";
import { DB_OPTIONS, withRegistrar } from "../database.js";
import { AUDIT_HELP } from "../help.js";
import { argsWith, isoTime, runSubcommand } from "../subcommands.js";

const OPTIONS = { ...DB_OPTIONS, json: { type: "boolean" }, limit: { type: "string" } } as const;

export function auditCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runSubcommand("audit", argv, io, AUDIT_HELP, {
    verify: async (rest) => {
      const { values } = argsWith("audit verify", rest, OPTIONS, 0);
      return withRegistrar(values.db, "audit verify", async (registrar) => {
        const r = await verifyAuditLog(registrar.db);
        if (values.json) io.out(`${JSON.stringify(r)}\n`);
        else if (r.ok) io.out(`audit log OK: ${r.entries} entries, head ${r.head}\n`);
        else
          io.out(`audit log BROKEN at entry ${r.seq}: ${r.reason} (${r.entries} entries before it verify)\n`);
        return r.ok ? EXIT.ok : EXIT.rejected;
      });
    },
    list: async (rest) => {
      const { values } = argsWith("audit list", rest, OPTIONS, 0);
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
        throw new UsageError("--limit must be an integer from 1 to 100000", "audit list");
      return withRegistrar(values.db, "audit list", async (registrar) => {
        const entries = await listAudit(registrar.db, { limit });
        if (values.json) io.out(`${JSON.stringify(entries)}\n`);
        else
          for (const e of entries.reverse())
            io.out(
              `${String(e.seq).padStart(6)}  ${isoTime(e.at)}  ${e.actor.padEnd(18)} ${e.action.padEnd(24)} ${e.subject ?? ""}  ${JSON.stringify(e.detail)}\n`,
            );
        return EXIT.ok;
      });
    },
  });
}
