// `factory capture-batch` end to end (issue 4): three harness TPMs in a CSV list, one of them
// signed by the rogue CA: two manifests, one refusal in the summary, exit 1; a second run
// reports the two as already captured and writes nothing new.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBoardList } from "../../factory/cli/commands/capture-batch.js";
import { runToExit, useFleet } from "../harness/index.js";

const AT = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const fleet = useFleet({
  infineon: { layout: "infineon", vendor: "A" },
  nuvoton: { layout: "nuvoton", vendor: "B" },
  rogue: { layout: "nuvoton", vendor: "rogue" },
});

let work: string;
let key: string;
let list: string;
let pending: string;

function factory(...args: string[]) {
  return runToExit("node", ["--import", "tsx", join(ROOT, "factory/cli/main.ts"), ...args], {
    cwd: ROOT,
    timeoutMs: 120_000,
  });
}

function batch(...extra: string[]) {
  return factory(
    "capture-batch",
    "--list",
    list,
    "--key",
    key,
    "--ca-dir",
    fleet.pki.trustedCaDir,
    "--out-dir",
    pending,
    "--at",
    AT,
    ...extra,
  );
}

async function manifests(): Promise<string[]> {
  return (await readdir(pending).catch(() => [] as string[])).filter((n) => n.endsWith(".manifest")).sort();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "factory-batch-"));
  pending = join(work, "pending");
  const r = await factory("keygen", "--station", "line1", "--out", work);
  expect(r.exitCode, r.stderr).toBe(0);
  key = join(work, "line1.key");
  list = join(work, "boards.csv");
  await writeFile(
    list,
    [
      "tcti,serial,hw_uuid,model",
      `"${fleet.tpm("infineon").tcti}",SN-B-1,8d3c1f0e-0000-4000-8000-000000000001,edge-1`,
      `"${fleet.tpm("nuvoton").tcti}",SN-B-2,,`,
      `"${fleet.tpm("rogue").tcti}",SN-B-3,,edge-1`,
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("capture-batch", () => {
  it("captures the good boards, refuses the rogue one, and says so in the summary (exit 1)", async () => {
    const r = await batch();
    expect(r.exitCode, r.stderr).toBe(1);
    expect(await manifests()).toEqual(["SN-B-1.manifest", "SN-B-2.manifest"]);
    const out = r.stdout.toString();
    expect(out).toContain("2 captured");
    expect(out).toContain("0 already captured");
    expect(out).toMatch(/1 refused:\n +SN-B-3: .*not trusted by this station/);
    // Not a terminal: one plain line per board on stderr.
    expect(r.stderr).toMatch(/\[1\/3\] SN-B-1: captured/);
    expect(r.stderr).toMatch(/\[3\/3\] SN-B-3: /);
  });

  it("a second run reports the two as already captured, with --json lines", async () => {
    const r = await batch("--json");
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stdout
      .toString()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines.slice(0, 3).map((l) => [l.serial, l.status])).toEqual([
      ["SN-B-1", "already_captured"],
      ["SN-B-2", "already_captured"],
      ["SN-B-3", "refused"],
    ]);
    expect(lines[3]).toMatchObject({ summary: true, total: 3, captured: 0, already_captured: 2, refused: 1 });
    expect(await manifests()).toEqual(["SN-B-1.manifest", "SN-B-2.manifest"]);
  });

  it("refuses an unreadable or malformed list with exit 2, capturing nothing", async () => {
    const missing = await factory(
      "capture-batch",
      "--list",
      join(work, "nope.csv"),
      "--key",
      key,
      "--ca-dir",
      fleet.pki.trustedCaDir,
    );
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("cannot read the list");
    const usage = await factory("capture-batch", "--key", key, "--ca-dir", fleet.pki.trustedCaDir);
    expect(usage.exitCode).toBe(2);
    expect(usage.stderr).toContain("--list FILE.csv is required");
  });
});

describe("parseBoardList", () => {
  it("reads quoted TCTIs and empty optional fields", () => {
    expect(
      parseBoardList('tcti,serial,hw_uuid,model\n# a comment\n"swtpm:host=h,port=1",SN-1,,m\r\n'),
    ).toEqual([{ tcti: "swtpm:host=h,port=1", serial: "SN-1", hwUuid: null, model: "m" }]);
  });

  it.each([
    ["serial,tcti\nx,y", /header must be/],
    ["tcti,serial,hw_uuid,model\nswtpm:host=h,port=1,SN-1,,", /5 field\(s\)/],
    ["tcti,serial,hw_uuid,model\nt,../etc,,", /cannot be a file name/],
    ["tcti,serial,hw_uuid,model\nt,SN-1,,\nu,SN-1,,", /already on line 2/],
    ["tcti,serial,hw_uuid,model\n", /no boards/],
    ['tcti,serial,hw_uuid,model\n"t,SN-1,,', /not closed/],
  ])("refuses %j", (text, message) => {
    expect(() => parseBoardList(text)).toThrow(message);
  });
});
