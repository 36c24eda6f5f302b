// registrar import: being built (issue 5).
import { EXIT, type ExitStatus, type Io } from "../../../shared/cli/args.js";

export async function importCommand(_argv: readonly string[], io: Io): Promise<ExitStatus> {
  io.err("registrar import: not built yet\n");
  return EXIT.usage;
}
