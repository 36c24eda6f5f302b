// Entry point of `npm run registrar -- …` (tsx cloud/cli/main.ts). The exit status is set, not
// forced with process.exit(), so piped output is flushed before the process ends.
import { processIo } from "../../shared/cli/args.js";
import { exitQuietlyOnClosedPipe } from "../../shared/cli/closed-pipe.js";
import { runRegistrar } from "./registrar.js";

exitQuietlyOnClosedPipe();
process.exitCode = await runRegistrar(process.argv.slice(2), processIo);
