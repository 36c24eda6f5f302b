// `registrar import [--db FILE] [--json] FILE...` (issue 5, DESIGN §5, §6): imports device
// manifests, bundles and sealed bundles, told apart by content, into the registrar's database,
// each file in one transaction (cloud/import/import-file.ts has the rules). Works whether or
// not a server runs on the same database: the import waits for the database's write lock.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { EXIT, type ExitStatus, type Io, parseCommandArgs, UsageError } from "../../../shared/cli/args.js";
import { importFile } from "../../import/import-file.js";
import { ImportError, type ImportReport } from "../../import/report.js";
import { Registrar } from "../../registrar/registrar.js";
import { StoreError } from "../../store/sql.js";
import { SqliteDatabase } from "../../store/sqlite-database.js";
import { PROGRAM } from "../help.js";

const COMMAND = "import";
const PREFIX = `registrar ${COMMAND}`;
/** Without a terminal on stderr, one progress line every this many devices. */
const PROGRESS_EVERY = 10_000;
/** Rejected devices printed per file in the human summary (--json prints them all). */
const LISTED = 20;

export const IMPORT_HELP = `Usage: ${PROGRAM} import [--db FILE] [--json] FILE...

Imports device manifests (<serial>.manifest), bundles (<station>-<seq>.bundle) and sealed
bundles (.bundle.sealed), told apart by their content, not their names. Each file is imported
in one transaction: all of its good devices or nothing. A bundle must be signed by a trusted,
non-retired station ('registrar stations add'); a sealed bundle is opened with the registrar's
X25519 key ('registrar init'). A bad signature, an unknown or retired station or an altered
item refuses the whole file. A device whose EK certificate does not chain to a trusted
manufacturer CA ('registrar cas import'), or whose EK another station already captured, is
listed with its reason and the others are imported. A gap or fork in a station's chain of
bundles is reported; re-importing a bundle changes nothing and says so.

Options:
  --db FILE      the registrar database (default ./registrar.db; create it with 'registrar init')
  --json         print one JSON report per file, one per line: {file, ok, report | error}
  -h, --help     show this help

Progress goes to stderr for large bundles (a running count on a terminal, otherwise a line
every ${PROGRESS_EVERY.toLocaleString("en-US")} devices).

Exit status:
  0  every file imported, no device rejected (duplicates and already imported files are fine)
  1  a file or at least one device was rejected
  2  usage error, or a file or the database could not be read
  3  internal error
`;

interface FileOutcome {
  file: string;
  ok: boolean;
  report?: ImportReport;
  error?: { code: string; message: string };
}

function humanLines(o: FileOutcome): string {
  if (o.error) return `${o.file}: REJECTED (${o.error.code}): ${o.error.message}\n`;
  const r = o.report!;
  const lines = [`${o.file}: ${r.summary}`];
  if (r.chain && (r.chain.status === "gap" || r.chain.status === "fork"))
    lines.push(`  chain: ${r.chain.status}: ${r.chain.note}`);
  for (const d of r.rejected.slice(0, LISTED))
    lines.push(`  rejected #${d.index}${d.serial === null ? "" : ` ${d.serial}`}: ${d.reason}`);
  if (r.rejected_count > LISTED)
    lines.push(`  … and ${r.rejected_count - LISTED} more rejected (--json lists them)`);
  return `${lines.join("\n")}\n`;
}

function progress(io: Io, file: string): (n: number) => void {
  const tty = process.stderr.isTTY === true;
  let next = PROGRESS_EVERY;
  return (n) => {
    if (tty) io.err(`\r${file}: ${n.toLocaleString("en-US")} devices…`);
    else if (n >= next) {
      io.err(`${file}: ${n.toLocaleString("en-US")} devices…\n`);
      next = (Math.floor(n / PROGRESS_EVERY) + 1) * PROGRESS_EVERY;
    }
  };
}

export async function importCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    db: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.out(IMPORT_HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0)
    throw new UsageError("no FILE given: name one or more manifest or bundle files", COMMAND);
  for (const file of positionals) {
    const s = await stat(file).catch((e: Error) => e);
    if (s instanceof Error || !s.isFile()) {
      io.err(`${PREFIX}: cannot read ${file}: ${s instanceof Error ? s.message : "not a regular file"}\n`);
      return EXIT.usage;
    }
  }
  const dbPath = values.db ?? "./registrar.db";
  let db: SqliteDatabase;
  try {
    db = await SqliteDatabase.open(dbPath, { mustExist: true });
  } catch (e) {
    if (e instanceof StoreError) {
      io.err(`${PREFIX}: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  let rejected = false;
  try {
    const registrar = new Registrar(db);
    for (const file of positionals) {
      const tty = process.stderr.isTTY === true;
      let outcome: FileOutcome;
      try {
        const report = await importFile(registrar, createReadStream(file), {
          actor: "cli",
          onProgress: progress(io, file),
        });
        outcome = { file, ok: report.rejected_count === 0, report };
      } catch (e) {
        if (!(e instanceof ImportError)) throw e;
        outcome = { file, ok: false, error: { code: e.code, message: e.message } };
      }
      if (tty) io.err("\r\u001b[K");
      if (!outcome.ok) rejected = true;
      io.out(values.json ? `${JSON.stringify(outcome)}\n` : humanLines(outcome));
    }
  } finally {
    await db.close();
  }
  return rejected ? EXIT.rejected : EXIT.ok;
}
