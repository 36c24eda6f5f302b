// A Node single executable application (https://nodejs.org/docs/latest-v20.x/api/single-executable-applications.html):
// a copy of a node binary with the agent's script injected as a resource. On Node 20:
// 1. the main script is CommonJS (bundles.ts makes it);
// 2. `node --experimental-sea-config` turns it into a preparation blob, and that blob is only
//    valid for the node version that made it, so the target's own binary makes it (for arm64,
//    run under qemu), with the code cache and the snapshot off (both depend on the V8 build
//    and CPU features of the process that prepared them, for arm64 an emulated one);
// 3. postject injects the blob into the copy as the NODE_SEA_BLOB resource and flips the fuse
//    that tells node, at start, to run it instead of reading its command line.

import { chmod, copyFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { BuildError } from "./errors.js";
import { run } from "./run.js";

/** The fuse string Node's SEA support looks for (the Node 20 documentation's value). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

export interface SeaTarget {
  /** "x64", "arm64": names the executable and its intermediate files. */
  arch: string;
  /** The node binary to copy, which also makes the blob. */
  node: string;
  /** What runs that binary here: [] natively, the qemu command line for arm64. */
  runner: string[];
}

function postjectCli(): string {
  const require = createRequire(import.meta.url);
  return join(require.resolve("postject/package.json"), "..", "dist", "cli.js");
}

/** Writes `outfile`, the single executable for `target` running `mainScript` (CommonJS). */
export async function makeSingleExecutable(
  target: SeaTarget,
  mainScript: string,
  workDir: string,
  outfile: string,
): Promise<void> {
  const config = join(workDir, `sea-config-${target.arch}.json`);
  const blob = join(workDir, `sea-prep-${target.arch}.blob`);
  await writeFile(
    config,
    JSON.stringify({
      main: mainScript,
      output: blob,
      // The agent's own output (--version, --json) must not start with Node's warning.
      disableExperimentalSEAWarning: true,
      useSnapshot: false,
      useCodeCache: false,
    }),
  );
  // Per process, so two builds at once do not write the same file.
  const partial = `${outfile}.${process.pid}.partial`;
  try {
    const [command, ...args] = [...target.runner, target.node, "--experimental-sea-config", config];
    await run(command!, args, workDir);
    await copyFile(target.node, partial);
    await chmod(partial, 0o755);
    await run(process.execPath, [postjectCli(), partial, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE]);
    await rename(partial, outfile);
  } catch (e) {
    await rm(partial, { force: true });
    if (e instanceof BuildError) throw e;
    throw new BuildError(
      "BUILD_SEA_FAILED",
      `could not make the ${target.arch} single executable ${outfile}: ${(e as Error).message}`,
    );
  }
}
