// `factory capture-batch --list FILE.csv --key K --ca-dir D …` (DESIGN §8): capture many TPMs
// in turn, each exactly as `capture` does (captureBoard), never stopping the batch for one bad
// board, then print a summary. A progress bar on a terminal, one line per board otherwise.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  EXIT,
  type ExitStatus,
  type Io,
  parseCommandArgs,
  parseIsoDate,
  UsageError,
} from "../../../shared/cli/args.js";
import { errorMessage, fsReason, SAFE_NAME } from "../util.js";
import {
  type Board,
  type BoardResult,
  captureBoard,
  captureJson,
  isPrintableField,
  prepareCapture,
  STATION_OPTIONS,
  stationOfKey,
} from "./capture.js";

const COMMAND = "capture-batch";
const PREFIX = `factory ${COMMAND}`;
const HEADER = ["tcti", "serial", "hw_uuid", "model"] as const;
const BAR_WIDTH = 30;

export interface BatchIo extends Io {
  /** True when stderr is a terminal: draw a progress bar instead of per-board lines. */
  readonly tty?: boolean;
}

export async function captureBatch(argv: readonly string[], io: BatchIo): Promise<ExitStatus> {
  const { values, positionals } = parseCommandArgs(COMMAND, argv, {
    list: { type: "string" },
    ...STATION_OPTIONS,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, COMMAND);
  const listPath = values.list;
  if (!listPath)
    throw new UsageError(
      "--list FILE.csv is required: the boards to capture (tcti,serial,hw_uuid,model)",
      COMMAND,
    );
  const keyPath = values.key as string;
  const station = stationOfKey(values.key, COMMAND);
  const caDir = values["ca-dir"];
  if (!caDir) throw new UsageError("--ca-dir D is required: the manufacturer CA certificates", COMMAND);
  const outDir = values["out-dir"] ?? join("bundles", "pending");
  const at = values.at === undefined ? new Date() : parseIsoDate(values.at, "--at", COMMAND);
  const tty = io.tty ?? process.stderr.isTTY === true;

  let text: string;
  try {
    text = await readFile(listPath, "utf8");
  } catch (error) {
    io.err(`${PREFIX}: cannot read the list --list ${listPath}: ${fsReason(error)}\n`);
    return EXIT.usage;
  }
  let boards: Board[];
  try {
    boards = parseBoardList(text);
  } catch (error) {
    io.err(`${PREFIX}: ${listPath}: ${errorMessage(error)}\nNothing was captured.\n`);
    return EXIT.usage;
  }

  const setup = await prepareCapture(
    { keyPath, station, caDir, outDir, at, allowNoCert: values["allow-no-cert"] === true },
    io,
    PREFIX,
  );
  if (!setup) return EXIT.usage;

  const results: BoardResult[] = [];
  const bar = (done: number, current: string) => {
    if (!tty) return;
    const filled = boards.length === 0 ? BAR_WIDTH : Math.round((done / boards.length) * BAR_WIDTH);
    io.err(
      `\r\x1b[2K[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${done}/${boards.length} ${current}`,
    );
  };
  for (const [i, board] of boards.entries()) {
    bar(i, board.serial);
    let result: BoardResult;
    try {
      result = await captureBoard(setup, board);
    } catch (error) {
      // An unexpected failure on one board must not lose the rest of the batch.
      result = {
        status: "refused",
        serial: board.serial,
        code: "INTERNAL_ERROR",
        message: `REFUSED board ${board.serial}: internal error (please report it): ${errorMessage(error)}\nNo manifest was written.`,
      };
    }
    results.push(result);
    if (tty) {
      // Refusals stay on screen above the bar.
      if (result.status === "refused") io.err(`\r\x1b[2K${result.serial}: ${result.message}\n`);
    } else {
      io.err(`${boardLine(i + 1, boards.length, result)}\n`);
    }
    if (values.json) io.out(`${JSON.stringify(jsonOf(result, setup))}\n`);
  }
  bar(boards.length, "done\n");

  const captured = results.filter((r) => r.status === "captured");
  const already = results.filter((r) => r.status === "already");
  const refused = results.filter((r) => r.status === "refused");
  if (values.json) {
    io.out(
      `${JSON.stringify({
        summary: true,
        total: results.length,
        captured: captured.length,
        already_captured: already.length,
        refused: refused.length,
        refusals: refused.map((r) => ({ serial: r.serial, code: r.code, reason: oneLine(r.message) })),
      })}\n`,
    );
  } else {
    const lines = [
      `Summary of ${results.length} board(s) from ${listPath}:`,
      `  ${captured.length} captured`,
      `  ${already.length} already captured${already.length > 0 ? `: ${already.map((r) => r.serial).join(", ")}` : ""}`,
      `  ${refused.length} refused${refused.length > 0 ? ":" : ""}`,
      ...refused.map((r) => `    ${r.serial}: ${oneLine(r.message)}`),
    ];
    io.out(`${lines.join("\n")}\n`);
  }
  return refused.length > 0 ? EXIT.rejected : EXIT.ok;
}

function oneLine(message: string): string {
  return message
    .replace(/\nNo manifest was written\.$/, "")
    .replace(/^REFUSED /, "")
    .replace(/\n/g, " ");
}

function boardLine(n: number, total: number, result: BoardResult): string {
  const where = `[${n}/${total}] ${result.serial}`;
  if (result.status === "captured") return `${where}: captured, wrote ${result.file}`;
  if (result.status === "already") return `${where}: already captured (${result.file})`;
  return `${where}: ${oneLine(result.message)}`;
}

function jsonOf(result: BoardResult, setup: Parameters<typeof captureJson>[1]): Record<string, unknown> {
  if (result.status === "captured") return { status: "captured", ...captureJson(result, setup) };
  if (result.status === "already")
    return { status: "already_captured", serial: result.serial, file: result.file };
  return { status: "refused", serial: result.serial, code: result.code, reason: oneLine(result.message) };
}

/** Splits one CSV line into fields: commas separate; "double quotes" protect commas, "" is a quote. */
function csvFields(line: string, lineNo: number): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`line ${lineNo}: a quoted field is not closed`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i];
        i++;
      }
      if (i < line.length && line[i] !== ",")
        throw new Error(`line ${lineNo}: text after a closing quote (expected a comma)`);
    } else {
      const end = line.indexOf(",", i);
      field = line.slice(i, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    }
    fields.push(field.trim());
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/**
 * The boards of a list: a header line `tcti,serial,hw_uuid,model`, then one board a line.
 * hw_uuid and model may be empty. Blank lines and lines starting with '#' are skipped. Any
 * problem throws (naming the line), so a bad list captures nothing.
 */
export function parseBoardList(text: string): Board[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const boards: Board[] = [];
  const serials = new Map<string, number>();
  let header = false;
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    const fields = csvFields(raw, lineNo);
    if (!header) {
      if (fields.join(",").toLowerCase() !== HEADER.join(","))
        throw new Error(`line ${lineNo}: the header must be '${HEADER.join(",")}', not '${raw.trim()}'`);
      header = true;
      continue;
    }
    if (fields.length !== HEADER.length)
      throw new Error(
        `line ${lineNo}: ${fields.length} field(s), expected ${HEADER.length} (${HEADER.join(",")}); ` +
          "quote a TCTI that holds commas",
      );
    const [tcti, serial, hwUuid, model] = fields as [string, string, string, string];
    if (tcti === "") throw new Error(`line ${lineNo}: the tcti is empty`);
    if (!SAFE_NAME.test(serial))
      throw new Error(
        `line ${lineNo}: serial "${serial}" cannot be a file name: use letters, digits, '.', '_' and '-'`,
      );
    const earlier = serials.get(serial);
    if (earlier !== undefined)
      throw new Error(`line ${lineNo}: serial ${serial} is already on line ${earlier}`);
    serials.set(serial, lineNo);
    for (const [name, value] of [
      ["hw_uuid", hwUuid],
      ["model", model],
    ] as const) {
      if (value !== "" && !isPrintableField(value))
        throw new Error(`line ${lineNo}: ${name} must be empty or 1 to 256 printable characters`);
    }
    boards.push({ tcti, serial, hwUuid: hwUuid === "" ? null : hwUuid, model: model === "" ? null : model });
  }
  if (!header) throw new Error(`no header line '${HEADER.join(",")}'`);
  if (boards.length === 0) throw new Error("the list has no boards");
  return boards;
}
