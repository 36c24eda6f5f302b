// `npm run demo` (issue 7): the pipeline end to end on this machine, with the built tools.
// The bootstrap and the build run first (package.json); this runs the scenario of
// scenario.ts with the demo's 8 boards, the impostor and the rogue-CA TPM, prints the table,
// and leaves everything in demo-out/ for the user to look at.
//
//   npm run demo [-- --keep] [-- --out DIR]
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { admitted, demoBoards, VENDOR_LABEL } from "./boards.js";
import { runScenario, type Tools } from "./scenario.js";

const HELP = `Usage: npm run demo [-- --keep] [-- --out DIR]

Runs the whole pipeline on this machine with simulated TPMs (swtpm): a manufacturer PKI with
two vendors, 8 boards, the factory station (keygen, capture-batch, a sealed bundle), the
registrar (import, serve on 127.0.0.1), and the boards' agents: 6 register online (one through
the arm64 executable under qemu, when qemu is installed), 1 offline through request, challenge
and response files, 1 revoked board is refused, and so are a TPM no station captured and a TPM
whose EK certificate comes from a rogue CA. Prints a table of the outcomes.

Options:
  --keep       leave the registrar running; print its URL and an admin token
  --out DIR    where everything goes (default demo-out/): the registrar database, the bundles,
               the station key, the TPMs' state
  -h, --help   show this help

Exit status: 0 when every board ended as expected, 1 otherwise, 2 on a usage error.
`;

const ROOT = resolve(import.meta.dirname, "../..");

function tools(): Tools {
  const dist = (f: string) => resolve(ROOT, "dist", f);
  for (const f of ["factory.mjs", "registrar.mjs", "edge-agent.mjs"])
    if (!existsSync(dist(f))) {
      process.stderr.write(`demo: ${dist(f)} is missing: run 'npm run build' first (npm run demo does)\n`);
      process.exit(2);
    }
  const qemu = ["/usr/bin/qemu-aarch64-static", "/usr/bin/qemu-aarch64"].find(existsSync);
  const arm64 = dist("edge-agent-linux-arm64");
  return {
    factory: [process.execPath, dist("factory.mjs")],
    registrar: [process.execPath, dist("registrar.mjs")],
    agent: [process.execPath, dist("edge-agent.mjs")],
    agentArm64: qemu && existsSync(arm64) ? [qemu, arm64] : undefined,
  };
}

async function main(): Promise<number> {
  let values: { keep?: boolean; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { keep: { type: "boolean" }, out: { type: "string" }, help: { type: "boolean", short: "h" } },
    }));
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const outDir = resolve(values.out ?? "demo-out");
  const t0 = performance.now();
  const boards = demoBoards();
  const scenario = await runScenario({
    boards,
    outDir,
    tools: tools(),
    keep: values.keep,
    log: (line) => process.stderr.write(`${line}\n`),
  });

  const rows = scenario.results.map((r) => [
    r.board.name,
    VENDOR_LABEL[r.board.vendor],
    r.board.ekAlg.toUpperCase(),
    r.path,
    r.outcome === (admitted(r.board) ? "active" : "refused") ? r.outcome : `${r.outcome} (unexpected)`,
    `${r.seconds.toFixed(1)} s`,
  ]);
  const header = ["board", "TPM vendor", "EK", "path", "outcome", "time"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  process.stdout.write(`\n${line(header)}\n${line(widths.map((w) => "-".repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  const unexpected = scenario.results.filter((r) => r.outcome !== (admitted(r.board) ? "active" : "refused"));
  process.stdout.write(
    `\n${unexpected.length === 0 ? "every board ended as expected" : `${unexpected.length} board(s) did not end as expected`}` +
      ` in ${((performance.now() - t0) / 1000).toFixed(0)} s; the registrar database, bundles and keys are in ${outDir}\n`,
  );
  if (values.keep) {
    process.stdout.write(
      `\nThe registrar is still running at ${scenario.registrarUrl} (Ctrl-C stops it). An admin token:\n` +
        `  curl -H 'Authorization: Bearer ${scenario.adminToken}' ${scenario.registrarUrl}/api/v1/devices\n`,
    );
    await new Promise<void>((done) => process.once("SIGINT", () => done()));
    await scenario.stop();
  }
  return unexpected.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
