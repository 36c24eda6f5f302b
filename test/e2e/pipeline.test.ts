// The whole pipeline end to end (issue 7): the demo's scenario with a fleet of 20 boards of
// both vendors and both EK algorithms, registering online and offline, two of them refused (a
// revoked board and a TPM no station captured), plus a TPM whose EK certificate comes from the
// rogue CA, which the station refuses to capture. Every tool runs as the operator would run it,
// from its sources (the built artifacts have their own tests).
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { admitted, type BoardPlan, fleetBoards } from "../demo/boards.js";
import { runScenario, type ScenarioResult } from "../demo/scenario.js";
import { runDir } from "../harness/index.js";

const tsx = (entry: string) => [process.execPath, "--import", "tsx", entry];
const boards: BoardPlan[] = [
  ...fleetBoards(),
  { name: "rogue", vendor: "rogue", ekAlg: "rsa", path: "online", kind: "rogue" },
];

let scenario: ScenarioResult;
beforeAll(async () => {
  scenario = await runScenario({
    boards,
    outDir: join(runDir(), "e2e-pipeline"),
    tools: {
      factory: tsx("factory/cli/main.ts"),
      registrar: tsx("cloud/cli/main.ts"),
      agent: tsx("edge-agent/cli/main.ts"),
    },
    log: () => undefined,
  });
}, 900_000);

describe("the pipeline, factory to fleet", () => {
  it("admits every genuine board, online and offline, and refuses the others", () => {
    const outcomes = Object.fromEntries(scenario.results.map((r) => [r.board.name, r.outcome]));
    const expected = Object.fromEntries(boards.map((b) => [b.name, admitted(b) ? "active" : "refused"]));
    expect(outcomes).toEqual(expected);
    expect(boards.filter(admitted).length).toBe(18);
    expect(new Set(boards.filter(admitted).map((b) => `${b.vendor}/${b.ekAlg}/${b.path}`)).size).toBe(8);
  });

  it("leaves the registrar with every genuine board active, the revoked one revoked, and no one else", () => {
    const expected: Record<string, string> = {};
    for (const b of boards) {
      if (b.kind === "genuine") expected[b.name] = "active";
      if (b.kind === "revoked") expected[b.name] = "revoked";
    }
    expect(scenario.deviceStates).toEqual(expected);
  });

  it("tells each refused board why", () => {
    const detail = (name: string) => scenario.results.find((r) => r.board.name === name)?.detail ?? "";
    expect(detail("board-19")).toMatch(/revoked/i);
    expect(detail("impostor")).toMatch(/not pre-registered/i);
    expect(detail("rogue")).toMatch(/not pre-registered/i);
  });
});
