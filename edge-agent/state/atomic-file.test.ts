import { mkdtempSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-file.js";

describe("atomic state files", () => {
  it("replace the old content whole, with mode 0600, leaving no temporary file behind", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "agent-atomic-")), "state");
    const path = join(dir, "state.json");
    await writeFileAtomic(path, "old");
    await writeFileAtomic(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual(["state.json"]);
  });
});
