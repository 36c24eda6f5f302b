// The esbuild bundles: the three tools DESIGN §2 lists as .mjs files, the registrar's import
// worker beside them, and the CommonJS bundle of the agent that becomes a single executable's
// main script (sea.ts).
import { access, mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type BuildOptions,
  type BuildResult,
  build,
  type Metafile,
  type OutputFile,
  type Plugin,
} from "esbuild";
import { assertOnlyBuiltinImports } from "./builtin-imports.js";
import { BuildError } from "./errors.js";
import { DIST, ENTRIES } from "./paths.js";

const SHEBANG = "#!/usr/bin/env node";

// esbuild turns a bundled CommonJS module's require("node:fs") into a shim that throws in an ES
// module; a real `require` made with createRequire lets those calls work (libsodium-wrappers
// and cbor-x make them).
const ESM_REQUIRE =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

// cbor-x tries the optional native addon cbor-extract and falls back to JavaScript when it
// cannot be loaded. The tools leave it to node_modules; the agent ships no native code
// (DESIGN §7), so for the agent the module is replaced by one that fails to load, as a missing
// addon does.
const OPTIONAL_NATIVE_ADDONS = ["cbor-extract"];

const noNativeAddons: Plugin = {
  name: "no-native-addons",
  setup(b) {
    const filter = new RegExp(`^(${OPTIONAL_NATIVE_ADDONS.join("|")})$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: "no-native-addon" }));
    b.onLoad({ filter: /.*/, namespace: "no-native-addon" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is a native addon, which the edge agent does not ship`)});`,
      loader: "js",
    }));
  },
};

const COMMON: BuildOptions = {
  bundle: true,
  platform: "node",
  target: "node20",
  logLevel: "warning",
};

/**
 * Each output replaces its file in one rename, so a tool running from dist/ while a build runs
 * never loads half a file; one starting with a shebang is made executable.
 */
async function writeAtomically(files: readonly OutputFile[]): Promise<void> {
  for (const file of files) {
    const partial = `${file.path}.${process.pid}.partial`;
    const executable = file.text.startsWith("#!");
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(partial, file.contents, { mode: executable ? 0o755 : 0o644 });
    await rename(partial, file.path);
  }
}

async function runEsbuild(name: string, options: BuildOptions): Promise<Metafile> {
  let result: BuildResult<{ write: false; metafile: true }>;
  try {
    result = await build({ ...COMMON, ...options, write: false, metafile: true });
  } catch (e) {
    const texts = (e as { errors?: { text: string }[] }).errors?.map((x) => x.text) ?? [String(e)];
    // Node 20 runs a single executable's script as CommonJS, which has no top-level await.
    const hint = texts.some((t) => t.includes("Top-level await"))
      ? " (the agent's modules must not use top-level await: its single executables are CommonJS)"
      : "";
    throw new BuildError(
      "BUILD_BUNDLE_FAILED",
      `esbuild could not bundle ${name}: ${texts.join("; ")}${hint}`,
    );
  }
  await writeAtomically(result.outputFiles);
  return result.metafile;
}

async function assertEntryExists(entry: string, what: string): Promise<void> {
  try {
    await access(entry);
  } catch {
    throw new BuildError(
      "BUILD_ENTRY_MISSING",
      `${entry} does not exist, so ${what} cannot be built; it comes with issue 6 (\`issues show 6\`).`,
    );
  }
}

/** dist/edge-agent.mjs: one minified ES module that needs nothing but Node. */
export async function bundleAgentEsm(
  entry = ENTRIES.agent,
  outfile = join(DIST, "edge-agent.mjs"),
): Promise<string> {
  await assertEntryExists(entry, "the edge agent");
  const metafile = await runEsbuild("the edge agent (ESM)", {
    entryPoints: [entry],
    outfile,
    format: "esm",
    minify: true,
    banner: { js: `${SHEBANG}\n${ESM_REQUIRE}` },
    plugins: [noNativeAddons],
  });
  await assertOnlyBuiltinImports(outfile, metafile);
  return outfile;
}

/**
 * The agent as one CommonJS file, the main script of the single executables (Node 20 runs only
 * CommonJS there, and its `require` loads built-ins only, so everything else is bundled).
 */
export async function bundleAgentCjs(entry: string, outfile: string): Promise<string> {
  await assertEntryExists(entry, "the edge agent's single executables");
  const metafile = await runEsbuild("the edge agent (CommonJS, for the single executables)", {
    entryPoints: [entry],
    outfile,
    format: "cjs",
    minify: true,
    // import.meta is empty in CommonJS: give import.meta.url its meaning, the running file.
    define: { "import.meta.url": "__importMetaUrl" },
    banner: { js: 'var __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
    plugins: [noNativeAddons],
  });
  await assertOnlyBuiltinImports(outfile, metafile);
  return outfile;
}

/** dist/factory.mjs: the station CLI with its npm dependencies (libsodium-wrappers) bundled. */
export async function bundleFactory(outfile = join(DIST, "factory.mjs")): Promise<string> {
  await runEsbuild("the factory station", {
    entryPoints: [ENTRIES.factory],
    outfile,
    format: "esm",
    banner: { js: `${SHEBANG}\n${ESM_REQUIRE}` },
    external: OPTIONAL_NATIVE_ADDONS,
  });
  return outfile;
}

/**
 * dist/registrar.mjs and dist/check-worker.js. sqlite3 is a native addon (a .node file built
 * for this machine) that cannot be bundled: it stays external and is loaded from the
 * repository's node_modules at run time. The import workers (cloud/import/check-pool.ts) load
 * check-worker.js from beside the registrar's own file. Another `entry` (the benchmarks'
 * registrar processes) gets the same treatment, written to `outfile` inside the repository so
 * that sqlite3 resolves.
 */
export async function bundleRegistrar(
  outfile = join(DIST, "registrar.mjs"),
  entry = ENTRIES.registrar,
): Promise<string[]> {
  const external = ["sqlite3", ...OPTIONAL_NATIVE_ADDONS];
  await runEsbuild(entry === ENTRIES.registrar ? "the registrar" : `the registrar's code for ${entry}`, {
    entryPoints: [entry],
    outfile,
    format: "esm",
    banner: { js: `${SHEBANG}\n${ESM_REQUIRE}` },
    external,
  });
  const worker = join(dirname(outfile), "check-worker.js");
  await runEsbuild("the registrar's import worker", {
    entryPoints: [ENTRIES.checkWorker],
    outfile: worker,
    format: "esm",
    banner: { js: ESM_REQUIRE },
    external,
  });
  return [outfile, worker];
}
