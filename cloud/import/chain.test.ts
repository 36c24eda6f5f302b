// The station chain rules (chain.ts), on a real database: a station's head (last_seq,
// last_digest) and the bundles already imported decide first / in-order / gap / fork.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BundleHeader } from "../../shared/formats/bundle.js";
import { SqliteDatabase } from "../store/sqlite-database.js";
import { addStation } from "../store/stations.js";
import { evaluateChain, recordChain } from "./chain.js";

let dir: string;
let db: SqliteDatabase;

const digest = (label: string) => new Uint8Array(createHash("sha256").update(label).digest());
const header = (seq: number, prev: Uint8Array | null): BundleHeader => ({
  v: 1,
  bundle_id: `b${seq}`,
  station: "s1",
  seq,
  prev,
  created_at: 1,
  count: 0,
  digests: [],
});

/** Imports bundle `seq` (digest of its label) as import-bundle.ts records it. */
async function imported(seq: number, label: string, prev: Uint8Array | null) {
  return db.write(async (tx) => {
    const h = header(seq, prev);
    const verdict = await evaluateChain(tx, "s1", h, digest(label));
    await tx.run(
      `INSERT INTO bundles (digest, bundle_id, station, seq, prev, created_at, count, accepted, rejected, chain_note, imported_at)
       VALUES (?, ?, 's1', ?, ?, 1, 0, 0, 0, ?, 1)`,
      [digest(label), h.bundle_id, seq, prev, verdict.note],
    );
    await recordChain(tx, "s1", h, digest(label), verdict);
    return verdict;
  });
}

const head = () => db.get<{ last_seq: number | null }>("SELECT last_seq FROM stations WHERE name = 's1'");

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "chain-"));
  db = await SqliteDatabase.open(join(dir, "r.db"));
  await db.write((tx) => addStation(tx, "s1", new Uint8Array(32).fill(7)));
});
afterEach(async () => {
  await db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("station chain", () => {
  it("names every missing bundle when a station's first import is not seq 1", async () => {
    expect(await imported(4, "four", digest("three"))).toEqual({
      status: "gap",
      note: "bundles 1–3 of station s1 are missing (bundle 4 is the first imported)",
    });
    expect(await head()).toEqual({ last_seq: 4 });
  });

  it("accepts a late bundle that fills a gap and agrees with both neighbours", async () => {
    await imported(1, "one", null);
    expect((await imported(3, "three", digest("two"))).status).toBe("gap");
    const late = await imported(2, "two", digest("one"));
    expect(late).toEqual({
      status: "in-order",
      note: "bundle 2 of station s1 arrived late and fills the gap before bundle 3",
    });
    expect(await head()).toEqual({ last_seq: 3 });
  });

  it("calls a late bundle a fork when the next bundle names another prev", async () => {
    await imported(1, "one", null);
    await imported(3, "three", digest("two"));
    const other = await imported(2, "two-bis", digest("one"));
    expect(other.status).toBe("fork");
    expect(other.note).toMatch(/bundle 3 of station s1 names prev [0-9a-f]{64}, not this bundle 2/);
  });

  it("does not move the head on a fork, so the chain it follows goes on from bundle 1", async () => {
    await imported(1, "one", null);
    expect((await imported(2, "two", digest("not-one"))).status).toBe("fork");
    expect(await head()).toEqual({ last_seq: 1 });
    expect((await imported(2, "two-good", digest("one"))).status).toBe("in-order");
    expect(await head()).toEqual({ last_seq: 2 });
  });
});
