import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToExit } from "../harness/exec.js";
import { COLUMNS } from "./table.js";
import type { BenchRow } from "./types.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

async function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runToExit(process.execPath, ["--import", "tsx", "test/bench/run.ts", ...args], {
    cwd: ROOT,
    timeoutMs: 240_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
}

describe("npm run bench, on a tiny run", () => {
  let dir: string;
  let run: { code: number | null; stdout: string; stderr: string };
  let json: { rows: BenchRow[]; scale: number; node: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bench-test-"));
    const out = join(dir, "bench-results.json");
    run = await runBench(["--scale", "0.002", "--out", out]);
    json = JSON.parse(await readFile(out, "utf8"));
  }, 240_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 0 and shows progress while generating certificates", () => {
    expect(run.stderr).not.toContain("failed");
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/generating RSA-2048-signed certs 20\/20/);
    expect(run.stderr).toMatch(/generating ECDSA-P-384-signed certs 4\/4/);
  });

  it("prints one table with the columns metric, value, unit, baseline, ratio, target, met", () => {
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]?.split(/\s{2,}/)).toEqual([...COLUMNS]);
    expect(lines[1]).toMatch(/^-+( {2}-+){6}$/);
    const rows = lines.filter((l) => l.startsWith("ek-verify "));
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row).toMatch(/ certs\/s +[\d,.]+ +\d+\.\d\dx +<= 3x baseline +(yes|no)$/);
    }
  });

  it("writes the same rows to the JSON file, with RSA and ECC reported apart", () => {
    expect(json.scale).toBe(0.002);
    const ekRows = json.rows.filter((r) => r.benchmark === "ek-verify");
    expect(ekRows.map((r) => r.metric)).toEqual([
      "ek-verify RSA-2048 signed (sha256WithRSAEncryption)",
      "ek-verify ECDSA-P-384 signed (ecdsa-with-SHA384)",
    ]);
    for (const row of ekRows) {
      expect(row).toMatchObject({ benchmark: "ek-verify", unit: "certs/s", target: "<= 3x baseline" });
      expect(row.value).toBeGreaterThan(0);
      expect(row.baseline).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo((row.baseline ?? 0) / row.value, 6);
      expect(typeof row.met).toBe("boolean");
      expect(row.baseline_label).toContain("crypto.verify");
    }
  });

  it("adds the factory capture and bundle rows, each with a baseline measured in the same run", () => {
    const metrics = json.rows.filter((r) => r.benchmark === "bundle" || r.benchmark === "factory-capture");
    expect(metrics.map((r) => [r.benchmark, r.unit])).toEqual([
      ["bundle", "s"],
      ["bundle", "MB"],
      ["factory-capture", "s"],
    ]);
    for (const row of metrics) {
      expect(row.value).toBeGreaterThan(0);
      expect(row.baseline).toBeGreaterThan(0);
    }
  });

  it("adds the registrar's import rows (RSA- and P-384-signed apart) and registration rows", () => {
    const imports = json.rows.filter((r) => r.benchmark === "import");
    for (const label of ["RSA-signed", "P-384-signed"]) {
      const rate = imports.find((r) => r.metric.includes(label) && r.unit === "devices/s");
      expect(rate?.value, label).toBeGreaterThan(0);
      expect(rate?.baseline_label).toContain("raw crypto floor");
      expect(imports.find((r) => r.metric.includes(label) && r.unit === "MB")?.target).toBe("<= 512 MB");
    }
    const registration = json.rows.filter((r) => r.benchmark === "registration");
    const cpu = registration.filter((r) => r.metric.endsWith("registrar CPU per registration"));
    expect(cpu.length).toBe(2);
    for (const row of cpu) {
      expect(row.value).toBeGreaterThan(0);
      expect(row.target).toBe("<= 500 µs");
      expect(row.baseline_label).toContain("MakeCredential");
      // The main thread's share, read from its own /proc entry: some but not all of the CPU,
      // since sqlite's statements run on libuv's threads.
      const main = registration.find((r) => r.metric === `${row.metric} on its main thread`);
      expect(main?.value, row.metric).toBeGreaterThan(0);
      expect(main!.value, row.metric).toBeLessThan(row.value);
    }
    expect(registration.some((r) => r.metric.endsWith("p99 latency") && r.value > 0)).toBe(true);
  });

  it("adds the edge agent rows: sizes, cold start against node -e 0, peak RSS, the registration split and the tpm2-tools ratio", () => {
    const agent = json.rows.filter((r) => r.benchmark === "agent");
    const row = (start: string) => {
      const found = agent.find((r) => r.metric.startsWith(start));
      expect(found, `a row starting "${start}"`).toBeDefined();
      return found!;
    };
    expect(row("agent size, dist/edge-agent.mjs")).toMatchObject({ unit: "KB", target: "<= 500 KB" });
    expect(row("agent size, dist/edge-agent-linux-x64").unit).toBe("MB");
    expect(row("agent size, dist/edge-agent-linux-arm64").unit).toBe("MB");
    const cold = row("agent cold start, node dist/edge-agent.mjs --version");
    expect(cold).toMatchObject({ unit: "ms", target: "<= 100 ms" });
    expect(cold.baseline_label).toContain("node -e 0");
    expect(row("agent cold start, dist/edge-agent-linux-x64 --version").value).toBeGreaterThan(0);
    const rss = row("agent peak RSS during a registration");
    expect(rss).toMatchObject({ unit: "MB", target: "<= 64 MB" });
    expect(rss.baseline).toBeGreaterThan(0);
    for (const split of [
      "agent registration total (timings_ms.total",
      "agent registration inside TPM phases (timings_ms.tpm)",
      "agent registration waiting for the registrar (timings_ms.registrar)",
      "agent registration, the agent's own work (timings_ms.agent)",
    ])
      expect(row(split).value, split).toBeGreaterThan(0);
    expect(row("agent registration, the agent's own work as a share").target).toBe("<= 10 %");
    const wall = row("agent registration, process wall time");
    expect(wall.baseline_label).toContain("agent-tools.sh");
    expect(wall.ratio).toBeGreaterThan(0);
    for (const r of [cold, rss, wall]) expect(r.value).toBeGreaterThan(0);
  });
});
