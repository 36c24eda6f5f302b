// `registrar cas import DIR | list [--all] | retire ID`.
import { EXIT, type ExitStatus, type Io, UsageError } from "../../../shared/cli/args.js";
import { caJson, importCaDir, retireCaAudited } from "../../admin/cas.js";
import { listCas } from "../../store/cas.js";
import { cliActor, DB_OPTIONS, withRegistrar } from "../database.js";
import { CAS_HELP } from "../help.js";
import { argsWith, isoTime, runSubcommand } from "../subcommands.js";

const OPTIONS = { ...DB_OPTIONS, json: { type: "boolean" }, all: { type: "boolean" } } as const;

const args = (command: string, argv: readonly string[], count: number, what = "") =>
  argsWith(command, argv, OPTIONS, count, what);

export function casCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runSubcommand("cas", argv, io, CAS_HELP, {
    import: async (rest) => {
      const { values, positionals } = args("cas import", rest, 1, "one DIR of CA certificates");
      return withRegistrar(values.db, "cas import", async (registrar) => {
        let r: Awaited<ReturnType<typeof importCaDir>>;
        try {
          r = await importCaDir(registrar, positionals[0]!, cliActor());
        } catch (e) {
          throw new UsageError(`cannot read ${positionals[0]}: ${(e as Error).message}`, "cas import");
        }
        if (values.json)
          io.out(
            `${JSON.stringify({ added: r.added.map((c) => caJson(c)), unchanged: r.unchanged, skipped: r.skipped })}\n`,
          );
        else {
          for (const s of r.skipped) io.err(`skipped ${s.file}: ${s.reason}\n`);
          for (const ca of r.added) io.out(`added  ${ca.id.slice(0, 16)}  ${ca.subject}\n`);
          io.out(
            `${r.added.length} CA(s) added, ${r.unchanged} already trusted, ${r.skipped.length} file(s) skipped\n`,
          );
        }
        return r.added.length + r.unchanged === 0 ? EXIT.rejected : EXIT.ok;
      });
    },
    list: async (rest) => {
      const { values } = args("cas list", rest, 0, "");
      return withRegistrar(values.db, "cas list", async (registrar) => {
        const cas = await listCas(registrar.db, values.all ?? false);
        if (values.json) io.out(`${JSON.stringify(cas.map((c) => caJson(c)))}\n`);
        else {
          for (const ca of cas)
            io.out(
              `${ca.id.slice(0, 16)}  ${ca.retiredAt === null ? "active " : "retired"}  ${ca.subject}  (added ${isoTime(ca.addedAt)})\n`,
            );
          io.out(`${cas.length} CA(s)\n`);
        }
        return EXIT.ok;
      });
    },
    retire: async (rest) => {
      const { values, positionals } = args("cas retire", rest, 1, "one CA ID (from 'cas list')");
      return withRegistrar(values.db, "cas retire", async (registrar) => {
        const ca = await retireCaAudited(registrar, positionals[0]!, cliActor());
        io.out(
          values.json ? `${JSON.stringify(caJson(ca))}\n` : `retired ${ca.id.slice(0, 16)}  ${ca.subject}\n`,
        );
        return EXIT.ok;
      });
    },
  });
}
