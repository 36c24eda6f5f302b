// The edge agent's entry point: `npm run agent -- …`, `node dist/edge-agent.mjs …`, and the
// single executables. The build bundles exactly this file; it imports node built-ins and the
// project's own code only, and has no top-level await (the SEA bundle is CommonJS).
import { exitQuietlyOnClosedPipe } from "../../shared/cli/closed-pipe.js";
import { runAgent } from "./agent-cli.js";

exitQuietlyOnClosedPipe();
runAgent(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (e: unknown) => {
    process.stderr.write(`edge-agent: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 3;
  },
);
