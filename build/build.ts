// `npm run build` (tsx build/build.ts [--skip-arm64]): everything DESIGN §2 and §7 list under
// dist/, then each artifact's size. Exit status 0 built, 1 failed (the message says why and
// what to do), 2 usage error.
import { parseArgs } from "node:util";
import { BuildError } from "./errors.js";
import { buildAll } from "./pipeline.js";
import { sizeTable } from "./report.js";

const USAGE = `usage: npm run build [-- --skip-arm64]

Writes dist/factory.mjs, dist/registrar.mjs (+ dist/check-worker.js), dist/edge-agent.mjs,
dist/edge-agent-linux-x64 and dist/edge-agent-linux-arm64.

  --skip-arm64   do not make dist/edge-agent-linux-arm64 (it needs qemu-aarch64-static and the
                 arm64 C libraries, which \`npm run bootstrap\` installs as root)
`;

const log = (line: string) => process.stderr.write(`[build] ${line}\n`);

async function main(argv: string[]): Promise<number> {
  let skipArm64: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        "skip-arm64": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return 0;
    }
    skipArm64 = values["skip-arm64"] ?? false;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const started = performance.now();
  try {
    const artifacts = await buildAll({ skipArm64, log });
    process.stdout.write(`${sizeTable(artifacts)}\n`);
    log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (e) {
    if (e instanceof BuildError) {
      process.stderr.write(`build failed [${e.code}]: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
