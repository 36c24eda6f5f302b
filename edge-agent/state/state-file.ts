// state.json in the state dir: what this device last did with a registrar. Written atomically
// after each step (POST accepted, activated, offline request or response written), so
// `status` and the next run always read a whole record.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { messageOf, StateError } from "../errors.js";
import { writeFileAtomic } from "./atomic-file.js";

export const STATE_FILE = "state.json";
export const STATE_VERSION = 1;

export interface AgentState {
  v: number;
  agent_id: string;
  /** The registrar's URL, or "offline" for a registration through files. */
  registrar: string;
  /** The EK used: its template (L-1, H-3…) and its ek_pub_sha256 (DESIGN §4). */
  ek_template: string;
  ek_pub_sha256: string;
  /** The AK file in the state dir and the AK's name (hex), which the registrar bound the challenge to. */
  ak_file: string;
  ak_name: string;
  /** ISO times; null for a step not done yet. */
  registered_at: string | null;
  activated_at: string | null;
  /** Offline only: when the request and the response files were written, and where. */
  offline?: {
    request_at: string;
    request_file: string;
    response_at: string | null;
    response_file: string | null;
  };
}

export const statePath = (stateDir: string): string => join(stateDir, STATE_FILE);

/** The recorded state, or undefined when this device never registered. */
export async function readState(stateDir: string): Promise<AgentState | undefined> {
  let text: string;
  try {
    text = await readFile(statePath(stateDir), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateError("STATE_UNREADABLE", `cannot read ${statePath(stateDir)}: ${messageOf(e)}`);
  }
  let state: AgentState;
  try {
    state = JSON.parse(text) as AgentState;
  } catch (e) {
    throw new StateError(
      "STATE_UNREADABLE",
      `${statePath(stateDir)} is not JSON (${messageOf(e)}); remove it to register afresh`,
    );
  }
  if (state?.v !== STATE_VERSION || typeof state.agent_id !== "string")
    throw new StateError(
      "STATE_UNREADABLE",
      `${statePath(stateDir)} is not a state file of this agent (version ${String(state?.v)}); remove it to register afresh`,
    );
  return state;
}

export async function writeState(stateDir: string, state: AgentState): Promise<void> {
  try {
    await writeFileAtomic(statePath(stateDir), `${JSON.stringify(state, null, 2)}\n`);
  } catch (e) {
    throw new StateError("STATE_UNWRITABLE", `cannot write ${statePath(stateDir)}: ${messageOf(e)}`);
  }
}
