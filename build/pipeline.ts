// Every artifact of `npm run build`, in order: the three tools as .mjs files (DESIGN §2), then
// the agent's single executables for linux-x64 and linux-arm64 (DESIGN §7).
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ARM64_NODE, arm64NodeBinary, seaCacheDir } from "./arm64-node.js";
import { bundleAgentCjs, bundleAgentEsm, bundleFactory, bundleRegistrar } from "./bundles.js";
import { DIST, ENTRIES } from "./paths.js";
import { arm64Runner } from "./qemu.js";
import { makeSingleExecutable } from "./sea.js";

export interface BuildOptions {
  /** Build everything but dist/edge-agent-linux-arm64 (for a machine without qemu). */
  skipArm64: boolean;
  /** The agent's entry point (edge-agent/cli/main.ts). */
  agentEntry?: string;
  /** Progress lines. */
  log: (line: string) => void;
}

export interface Artifact {
  path: string;
  bytes: number;
}

export async function buildAll(options: BuildOptions): Promise<Artifact[]> {
  const { log } = options;
  const agentEntry = options.agentEntry ?? ENTRIES.agent;
  // Without qemu the arm64 executable cannot be made: find out before spending a minute on the rest.
  const armRunner = options.skipArm64 ? undefined : await arm64Runner();

  await mkdir(DIST, { recursive: true });
  const written: string[] = [];

  log("bundling the factory station, the registrar and the edge agent (esbuild)");
  written.push(await bundleFactory());
  written.push(...(await bundleRegistrar()));
  written.push(await bundleAgentEsm(agentEntry));

  const work = await mkdtemp(join(tmpdir(), "edge-agent-sea-"));
  try {
    const main = await bundleAgentCjs(agentEntry, join(work, "edge-agent.cjs"));

    log(`making dist/edge-agent-linux-x64 with this machine's node ${process.version}`);
    const x64 = join(DIST, "edge-agent-linux-x64");
    await makeSingleExecutable({ arch: "x64", node: process.execPath, runner: [] }, main, work, x64);
    written.push(x64);

    const arm64 = join(DIST, "edge-agent-linux-arm64");
    if (!armRunner) {
      // A stale arm64 executable would not match the rest of dist/: remove it.
      await rm(arm64, { force: true });
      log("skipped dist/edge-agent-linux-arm64 (--skip-arm64)");
    } else {
      if (process.version !== `v${ARM64_NODE.version}`) {
        log(
          `note: the x64 executable carries this machine's node ${process.version}, the arm64 one the pinned ` +
            `v${ARM64_NODE.version}; align ARM64_NODE in build/arm64-node.ts with the node you build with`,
        );
      }
      const node = await arm64NodeBinary();
      log(
        node.fetched
          ? `fetched ${ARM64_NODE.package}@${ARM64_NODE.version} into ${node.path}`
          : `using the cached ${ARM64_NODE.package}@${ARM64_NODE.version} (${seaCacheDir()})`,
      );
      log(`making dist/edge-agent-linux-arm64 (blob made by the arm64 node under ${armRunner.join(" ")})`);
      await makeSingleExecutable({ arch: "arm64", node: node.path, runner: armRunner }, main, work, arm64);
      written.push(arm64);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }

  return Promise.all(written.map(async (path) => ({ path, bytes: (await stat(path)).size })));
}
