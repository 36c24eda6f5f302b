// `npm run build` (build/build.ts) and what it ships for the edge agent (DESIGN §7, issue 6):
// dist/edge-agent.mjs alone in an empty directory, the linux-x64 single executable natively,
// the linux-arm64 one under qemu-aarch64-static, and each registering a swtpm TPM. The build
// runs once, in beforeAll. The checks of its output do not use the build's own code (its import
// scanner, its qemu lookup), so they are an independent opinion on it.
import { copyFile, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleAgentEsm } from "../../build/bundles.js";
import { runToExit, startTestRegistrar, type TestRegistrar, useFleet } from "../harness/index.js";
import { AGENT_EXIT, preRegister, ROOT, registrarView, stateDir } from "./agent-process.js";

const DIST = join(ROOT, "dist");
const MJS = join(DIST, "edge-agent.mjs");
const X64 = join(DIST, "edge-agent-linux-x64");
const ARM64 = join(DIST, "edge-agent-linux-arm64");
// Debian's multiarch libc6:arm64 and libstdc++6:arm64 (installed by the bootstrap) put the arm64
// loader at /lib/ld-linux-aarch64.so.1, where the binary asks for it: qemu needs no -L.
const QEMU = "qemu-aarch64-static";

const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };

let buildLog = "";
const scratch: string[] = [];

beforeAll(async () => {
  const r = await runToExit("npm", ["run", "build"], { cwd: ROOT, timeoutMs: 900_000 });
  buildLog = `${r.stdout.toString("utf8")}\n${r.stderr}`;
  if (r.exitCode !== 0) throw new Error(`npm run build failed (exit ${r.exitCode}):\n${buildLog}`);
}, 900_000);

afterAll(async () => {
  await Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true })));
});

async function emptyDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "edge-agent-alone-"));
  scratch.push(dir);
  return dir;
}

/** e_machine of an ELF file (offset 18, little endian): 0x3e x86-64, 0xb7 AArch64. */
async function elfMachine(path: string): Promise<number> {
  const file = await open(path, "r");
  try {
    const { buffer } = await file.read(Buffer.alloc(20), 0, 20, 0);
    expect(buffer.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    return buffer.readUInt16LE(18);
  } finally {
    await file.close();
  }
}

/**
 * Module specifiers in a (minified) bundle, by pattern: `from"x"`, `import"x"`, `import("x")`,
 * `require("x")`. Deliberately cruder than the build's parser: a false hit fails the test.
 */
function specifiers(code: string): string[] {
  const pattern = /(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*(["'`])([^"'`]+)\1/g;
  return [...code.matchAll(pattern)].map((m) => m[2]!);
}

describe("npm run build", () => {
  it("prints where each artifact went and its size", () => {
    for (const name of [
      "factory.mjs",
      "registrar.mjs",
      "edge-agent.mjs",
      "edge-agent-linux-x64",
      "edge-agent-linux-arm64",
    ]) {
      expect(buildLog).toMatch(new RegExp(`dist/${name.replace(".", "\\.")}\\s+[\\d.]+ [kM]B`));
    }
    expect(buildLog).toContain(`written to ${ROOT}`);
  });

  it("writes dist/edge-agent.mjs as one file of at most 500 KB, with a node shebang", async () => {
    expect((await stat(MJS)).size).toBeLessThanOrEqual(500_000);
    expect((await readFile(MJS, "utf8")).startsWith("#!/usr/bin/env node\n")).toBe(true);
  });

  it("leaves no import in dist/edge-agent.mjs but Node's built-in modules", async () => {
    const found = specifiers(await readFile(MJS, "utf8"));
    expect(found).toContain("node:crypto"); // the scan does see imports
    expect(found.filter((s) => !isBuiltin(s))).toEqual([]);
  });

  it("runs dist/edge-agent.mjs copied alone into an empty directory", async () => {
    const dir = await emptyDir();
    await copyFile(MJS, join(dir, "edge-agent.mjs"));
    const r = await runToExit(process.execPath, ["edge-agent.mjs", "--version"], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.toString("utf8").trim()).toBe(`edge-agent ${version}`);
  });

  it("makes dist/edge-agent-linux-x64, an x86-64 executable that runs natively", async () => {
    expect(await elfMachine(X64)).toBe(0x3e);
    const r = await runToExit(X64, ["--version"], { cwd: await emptyDir() });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.toString("utf8").trim()).toBe(`edge-agent ${version}`);
    expect(r.stderr).toBe(""); // no "single executable is experimental" warning
  });

  it("makes dist/edge-agent-linux-arm64, an AArch64 executable that runs under qemu-aarch64-static", async () => {
    expect(await elfMachine(ARM64)).toBe(0xb7);
    const r = await runToExit(QEMU, [ARM64, "--version"], { cwd: await emptyDir(), timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.toString("utf8").trim()).toBe(`edge-agent ${version}`);
  });

  it("refuses to ship an agent that would still load a package at run time", async () => {
    // esbuild cannot resolve this require() and, inside a try block, leaves it for run time.
    const dir = await emptyDir();
    const entry = join(dir, "main.ts");
    await writeFile(
      entry,
      'let x: unknown;\ntry { x = require("some-npm-package"); } catch {}\nconsole.log(x);\n',
    );
    await expect(bundleAgentEsm(entry, join(dir, "out.mjs"))).rejects.toMatchObject({
      code: "BUILD_FOREIGN_IMPORT",
      message: expect.stringContaining('require "some-npm-package"'),
    });
  });

  it("refuses to build without qemu-aarch64-static, pointing at the bootstrap and --skip-arm64", async () => {
    // An empty PATH hides qemu; the build checks for it before writing anything.
    const tsx = join(ROOT, "node_modules/tsx/dist/cli.mjs");
    const r = await runToExit(process.execPath, [tsx, "build/build.ts"], {
      cwd: ROOT,
      env: { PATH: "/nonexistent" },
      timeoutMs: 60_000,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("BUILD_QEMU_MISSING");
    expect(r.stderr).toContain("npm run bootstrap");
    expect(r.stderr).toContain("--skip-arm64");
  });
});

describe("the shipped agents register a swtpm TPM against the registrar", () => {
  const fleet = useFleet({
    mjs: { layout: "nuvoton" },
    x64: { layout: "infineon" },
    arm64: { layout: "nuvoton" },
  });
  let reg: TestRegistrar;

  beforeAll(async () => {
    reg = await startTestRegistrar();
    await reg.trustCaDir(fleet.pki.trustedCaDir);
    for (const sim of fleet.tpms) await preRegister(reg, sim);
  });
  afterAll(async () => {
    await reg?.close();
  });

  /** Runs one artifact's `register` and checks that the registrar now shows the agent active. */
  async function registers(
    name: "mjs" | "x64" | "arm64",
    command: string[],
    timeoutMs: number,
  ): Promise<void> {
    const agentId = `build-test-${name}`;
    const [program, ...args] = [
      ...command,
      "register",
      ...["--registrar", reg.url, "--tcti", fleet.tpm(name).tcti, "--agent-id", agentId],
      ...["--state-dir", await stateDir(), "--json"],
    ];
    const r = await runToExit(program!, args, { cwd: await emptyDir(), timeoutMs });
    expect(r.exitCode, `${r.stdout.toString("utf8")}\n${r.stderr}`).toBe(AGENT_EXIT.ok);
    const view = await registrarView(reg, agentId);
    expect(view.status).toBe(200);
    expect(view.results.active).toBe(true);
  }

  it("dist/edge-agent.mjs, alone in an empty directory, registers", async () => {
    const dir = await emptyDir();
    await copyFile(MJS, join(dir, "edge-agent.mjs"));
    await registers("mjs", [process.execPath, join(dir, "edge-agent.mjs")], 60_000);
  });

  it("dist/edge-agent-linux-x64 registers natively", async () => {
    await registers("x64", [X64], 60_000);
  });

  it("dist/edge-agent-linux-arm64 registers under qemu-aarch64-static", async () => {
    await registers("arm64", [QEMU, ARM64], 240_000);
  }, 300_000);
});
