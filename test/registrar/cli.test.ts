// `npm run registrar -- …` as an operator runs it: the real program in child processes on a
// real database file. init, tokens, stations, devices, audit verify (and a tampered log), help
// texts, a missing database, and serve started and stopped by a signal.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import sqlite3 from "sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { publicKeyPem } from "../../shared/formats/keys.js";
import { runDir, runToExit } from "../harness/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
const MAIN = join(ROOT, "cloud/cli/main.ts");

let dir: string;
let db: string;

async function registrar(...args: string[]) {
  const r = await runToExit(TSX, [MAIN, ...args], { cwd: dir, timeoutMs: 60_000 });
  return { code: r.exitCode, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
}

function rawExec(path: string, sql: string): Promise<void> {
  return new Promise((done, fail) => {
    const c = new sqlite3.Database(path, (err) => {
      if (err) return fail(err);
      c.exec(sql, (e) => c.close(() => (e ? fail(e) : done())));
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "registrar-cli-"));
  db = join(dir, "registrar.db");
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("registrar CLI", () => {
  it("has a --help for every command, matching the main list", async () => {
    const main = await registrar("--help");
    expect(main.code).toBe(0);
    const names = [...main.stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]);
    expect(names).toEqual([
      "init",
      "serve",
      "cas",
      "stations",
      "import",
      "devices",
      "tokens",
      "offline",
      "audit",
      "ekcert",
    ]);
    for (const name of names) {
      const r = await registrar(name!, "--help");
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toMatch(new RegExp(`^Usage: npm run registrar -- ${name}`));
    }
  }, 120_000);

  it("refuses to work on a database that does not exist (exit 2), except init", async () => {
    const r = await registrar("devices", "list", "--db", join(dir, "typo.db"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot open the registrar database .*typo\.db.*registrar init/);
  });

  it("init writes the keys (0600) once and refuses to replace them", async () => {
    const r = await registrar("init", "--db", db, "--json");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { keys: Record<string, string>; seal_kid: string };
    for (const k of ["ed25519Key", "x25519Key"]) expect((await stat(out.keys[k]!)).mode & 0o777).toBe(0o600);
    expect((await stat(db)).mode & 0o777).toBe(0o600);
    expect(out.seal_kid).toMatch(/^[0-9a-f]{32}$/);
    const again = await registrar("init", "--db", db);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has registrar keys/);
    expect(await readFile(out.keys.ed25519Key!, "utf8")).toMatch(/BEGIN PRIVATE KEY/);
  });

  it("init makes the database's folder (0700) when it does not exist yet", async () => {
    const home = join(dir, "new-home", "registrar");
    const r = await registrar("init", "--db", join(home, "registrar.db"), "--json");
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(home)).mode & 0o777).toBe(0o700);
    expect((await stat(join(home, "registrar.ed25519.key"))).mode & 0o777).toBe(0o600);
  });

  it("init makes the --out key folder (0700), and refuses an unusable one before creating the database", async () => {
    const keys = join(dir, "new-keys", "registrar");
    const r = await registrar("init", "--db", join(dir, "with-keys.db"), "--out", keys, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(keys)).mode & 0o777).toBe(0o700);
    expect((await stat(join(keys, "registrar.x25519.key"))).mode & 0o777).toBe(0o600);

    const file = join(dir, "a-file");
    await writeFile(file, "not a folder");
    const bad = await registrar("init", "--db", join(dir, "never.db"), "--out", join(file, "keys"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot use .*a-file\/keys as the key folder \(ENOTDIR\)/);
    expect(bad.stderr).not.toMatch(/internal error/);
    expect(existsSync(join(dir, "never.db"))).toBe(false);
  });

  it("creates a token, shows it once, and stores only its hash", async () => {
    const bad = await registrar(
      "tokens",
      "create",
      "--db",
      db,
      "--name",
      "x",
      "--scopes",
      "devices:read,root",
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown scope root/);
    const r = await registrar(
      "tokens",
      "create",
      "--db",
      db,
      "--name",
      "ops",
      "--scopes",
      "devices:read,devices:revoke",
    );
    expect(r.code).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^rgt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toMatch(/only time it is shown/);
    // The secret part is base64url and may itself contain "_", so cut at the fixed
    // prefix ("rgt_" + 12 hex id + "_") rather than at the last underscore.
    const secret = token.slice("rgt_".length + 12 + 1);
    expect(secret).toHaveLength(43);
    for (const f of [db, `${db}-wal`]) {
      const bytes = await readFile(f).catch(() => Buffer.alloc(0));
      expect(bytes.includes(Buffer.from(secret)), f).toBe(false);
    }
    const list = await registrar("tokens", "list", "--db", db, "--json");
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({
        id: token.slice(4, 16),
        name: "ops",
        scopes: ["devices:read", "devices:revoke"],
        revoked_at: null,
      }),
    ]);
  });

  it("trusts, lists and retires a station; refuses a duplicate (exit 1)", async () => {
    const pub = join(dir, "line1.pub");
    await writeFile(pub, publicKeyPem(generateKeyPairSync("ed25519").publicKey));
    expect((await registrar("stations", "add", "line1", pub, "--db", db)).code).toBe(0);
    const dup = await registrar("stations", "add", "line1", pub, "--db", db);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already trusted/);
    const list = JSON.parse((await registrar("stations", "list", "--db", db, "--json")).stdout) as {
      name: string;
    }[];
    expect(list.map((s) => s.name)).toEqual(["line1"]);
    expect((await registrar("stations", "retire", "line1", "--db", db)).code).toBe(0);
    const missing = await registrar("stations", "devices", "nope", "--db", db);
    expect(missing.code).toBe(1);
  });

  it("audit verify passes, then names the entry someone changed (exit 1)", async () => {
    const ok = await registrar("audit", "verify", "--db", db, "--json");
    expect(ok.code).toBe(0);
    const verdict = JSON.parse(ok.stdout) as { ok: boolean; entries: number };
    expect(verdict).toMatchObject({ ok: true });
    expect(verdict.entries).toBeGreaterThanOrEqual(3); // token.create, station.add, station.retire
    const listed = JSON.parse((await registrar("audit", "list", "--db", db, "--json")).stdout) as {
      action: string;
      actor: string;
    }[];
    expect(listed.map((e) => e.action).slice(0, 3)).toEqual([
      "station.retire",
      "station.add",
      "token.create",
    ]);
    expect(listed[0]?.actor).toMatch(/^cli/);
    await rawExec(
      db,
      "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'someone' WHERE seq = 2",
    );
    const broken = await registrar("audit", "verify", "--db", db);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN at entry 2/);
  });

  it("serve answers on loopback and stops cleanly on SIGTERM", async () => {
    const child = spawn(TSX, [MAIN, "serve", "--db", db, "--port", "0"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((done, fail) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) done(m[1]!);
        });
        child.once("exit", (code) => fail(new Error(`serve exited ${code} before listening`)));
        setTimeout(() => fail(new Error("serve did not start in 30 s")), 30_000);
      });
      const r = await fetch(`${url}/healthz`);
      expect(r.status).toBe(200);
      const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 60_000);
});
