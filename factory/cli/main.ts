// Entry point of `npm run factory -- …` (tsx factory/cli/main.ts). The exit status is set, not
// forced with process.exit(), so piped output is flushed before the process ends.
import { processIo } from "../../shared/cli/args.js";
import { exitQuietlyOnClosedPipe } from "../../shared/cli/closed-pipe.js";
import { runFactory } from "./factory.js";

exitQuietlyOnClosedPipe();
process.exitCode = await runFactory(process.argv.slice(2), processIo);
