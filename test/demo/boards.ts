// The boards of the pipeline scenario (issue 7): who makes them, which EK the agent uses, how
// the agent reaches the registrar, and what must happen. `npm run demo` runs 8 of them; the
// end-to-end test in `npm test` runs 20.
import type { Layout, Vendor } from "../harness/index.js";

/** How the board's agent registers. */
export type RegistrationPath = "online" | "offline" | "arm64";

/**
 * What kind of board it is:
 * - "genuine": captured by the station, imported, registers;
 * - "revoked": captured and imported, then revoked before its agent runs: refused;
 * - "impostor": a TPM with a genuine vendor's EK certificate that no station captured: refused;
 * - "rogue": a TPM whose EK certificate comes from the rogue CA. The station refuses to capture
 *   it, so the registrar never hears of it: refused.
 */
export type BoardKind = "genuine" | "revoked" | "impostor" | "rogue";

export interface BoardPlan {
  name: string;
  /** A: Infineon-like (RSA-2048 + ECC P-256), B: Nuvoton-like (RSA-2048 + ECC P-384), rogue CA. */
  vendor: Vendor;
  ekAlg: "rsa" | "ecc";
  path: RegistrationPath;
  kind: BoardKind;
}

export const LAYOUT_OF: Record<Vendor, Layout> = { A: "infineon", B: "nuvoton", rogue: "infineon" };

export const VENDOR_LABEL: Record<Vendor, string> = {
  A: "vendor A (Infineon-like)",
  B: "vendor B (Nuvoton-like)",
  rogue: "rogue CA",
};

/** Whether the registrar must end up admitting the board. */
export const admitted = (b: BoardPlan): boolean => b.kind === "genuine";

/**
 * The demo's boards: 6 online (one through the arm64 executable), 1 offline, 1 revoked, plus
 * the impostor and the rogue-CA TPM.
 */
export function demoBoards(): BoardPlan[] {
  return [
    { name: "board-01", vendor: "A", ekAlg: "rsa", path: "online", kind: "genuine" },
    { name: "board-02", vendor: "A", ekAlg: "ecc", path: "online", kind: "genuine" },
    { name: "board-03", vendor: "B", ekAlg: "rsa", path: "online", kind: "genuine" },
    { name: "board-04", vendor: "B", ekAlg: "ecc", path: "online", kind: "genuine" },
    { name: "board-05", vendor: "A", ekAlg: "rsa", path: "online", kind: "genuine" },
    { name: "board-06", vendor: "B", ekAlg: "rsa", path: "arm64", kind: "genuine" },
    { name: "board-07", vendor: "A", ekAlg: "ecc", path: "offline", kind: "genuine" },
    { name: "board-08", vendor: "B", ekAlg: "rsa", path: "online", kind: "revoked" },
    { name: "impostor", vendor: "A", ekAlg: "rsa", path: "online", kind: "impostor" },
    { name: "rogue", vendor: "rogue", ekAlg: "rsa", path: "online", kind: "rogue" },
  ];
}

/** The end-to-end test's 20: both vendors and EK algorithms, online and offline, 2 refused. */
export function fleetBoards(): BoardPlan[] {
  const boards: BoardPlan[] = [];
  for (let i = 1; i <= 18; i++) {
    boards.push({
      name: `board-${String(i).padStart(2, "0")}`,
      // Every vendor × EK algorithm pair both online and offline (boards 3, 8, 13, 18).
      vendor: i % 2 === 0 ? "B" : "A",
      ekAlg: Math.floor(i / 2) % 2 === 1 ? "ecc" : "rsa",
      path: i % 5 === 3 ? "offline" : "online",
      kind: "genuine",
    });
  }
  boards.push({ name: "board-19", vendor: "B", ekAlg: "ecc", path: "online", kind: "revoked" });
  boards.push({ name: "impostor", vendor: "A", ekAlg: "rsa", path: "online", kind: "impostor" });
  return boards;
}
