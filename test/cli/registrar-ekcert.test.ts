// `npm run registrar -- ekcert verify` as an operator runs it: the real command in a child
// process, on the real EK samples in ../shared/ek-samples. Expected values come from openssl,
// run at test time, never from shared/ekcert.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runToExit } from "../harness/exec.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SAMPLES = resolve(ROOT, "../shared/ek-samples");
const CERTS = join(SAMPLES, "certs");
const CAS = join(SAMPLES, "cas");
/** Inside the validity of every sample and CA (the swtpm samples start 2026-04-01, STMicro's end 2028). */
const AT = "2026-06-01T00:00:00Z";
const SAMPLE_FILES = [
  "ifx_ecc_optiga_ca035_keylime.pem",
  "ifx_rsa_optiga_ca035_keylime.pem",
  "intc_rsa_ptt_spth_gotpmkit.pem",
  "ntc_rsa_root2111_spire.pem",
  "stm_ecc_ca01_keylime.pem",
  "stm_rsa_ca05_keylime.pem",
  "swtpm_ecc384_ek_salrashid.pem",
  "swtpm_rsa2048_ek_salrashid.pem",
].map((f) => join(CERTS, f));
const JSON_KEYS = ["file", "ok", "reason", "manufacturer", "model", "version", "ek_pub_sha256", "chain"];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The command as `npm run registrar -- …` runs it (tsx), without npm's own start-up time. */
async function registrar(...args: string[]): Promise<Run> {
  const r = await runToExit(process.execPath, ["--import", "tsx", "cloud/cli/main.ts", ...args], {
    cwd: ROOT,
    timeoutMs: 30_000,
  });
  return { code: r.exitCode, stdout: r.stdout.toString("utf8"), stderr: r.stderr };
}

type JsonLine = Record<string, unknown> & {
  file: string;
  ok: boolean;
  reason: string | null;
  manufacturer: string | null;
  model: string | null;
  version: string | null;
  ek_pub_sha256: string | null;
  chain: string[] | null;
};

function jsonLines(stdout: string): JsonLine[] {
  return stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as JsonLine);
}

// --- openssl, the independent source of truth ------------------------------------------------

function openssl(args: string[], input?: Uint8Array): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

/** The TPM attributes of the SAN directoryName, as `openssl x509 -text` prints them. */
function opensslTpmAttributes(pem: string): { manufacturer: string; model: string; version: string } {
  const text = openssl(["x509", "-in", pem, "-noout", "-text"]).toString("utf8");
  const dirName = /DirName:(.*)/.exec(text)?.[1] ?? "";
  const attr = (oid: string) =>
    new RegExp(`${oid.replace(/\./g, "\\.")}=([^/+]*)`).exec(dirName)?.[1]?.trim() ?? "";
  return { manufacturer: attr("2.23.133.2.1"), model: attr("2.23.133.2.2"), version: attr("2.23.133.2.3") };
}

/** Exactly the pipeline of DESIGN §4. */
function opensslEkPubSha256(pem: string): string {
  const out = execFileSync(
    "sh",
    ["-c", 'openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum', "sh", pem],
    { encoding: "utf8" },
  );
  return out.split(/\s/)[0] ?? "";
}

function opensslDer(pem: string): Buffer {
  return openssl(["x509", "-in", pem, "-outform", "DER"]);
}

/** The CN of the issuer, as openssl reads it. */
function opensslIssuerCn(pem: string): string {
  const text = openssl(["x509", "-in", pem, "-noout", "-issuer", "-nameopt", "RFC2253"]).toString("utf8");
  return /CN=([^,+\n]+)/.exec(text)?.[1] ?? "";
}

// --- temp files ----------------------------------------------------------------------------------

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "registrar-ekcert-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function tempFile(name: string, bytes: Uint8Array | string): Promise<string> {
  const path = join(tmp, name);
  await writeFile(path, bytes);
  return path;
}

// --- the real samples --------------------------------------------------------------------------

describe("registrar ekcert verify on the 8 real EK samples", () => {
  let run: Run;
  let lines: JsonLine[];
  beforeAll(async () => {
    run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", AT, "--json", ...SAMPLE_FILES);
    lines = jsonLines(run.stdout);
  });

  it("accepts every sample against ../shared/ek-samples/cas and exits 0", () => {
    expect(run.stderr).toContain(`certs loaded from ${CAS}`);
    expect(run.code).toBe(0);
    expect(lines.map((l) => [basename(l.file), l.ok, l.reason])).toEqual(
      SAMPLE_FILES.map((f) => [basename(f), true, null]),
    );
  });

  it("prints exactly the JSON fields of the issue, in order, one line per file", () => {
    expect(lines).toHaveLength(SAMPLE_FILES.length);
    for (const line of lines) expect(Object.keys(line)).toEqual(JSON_KEYS);
  });

  it.each(SAMPLE_FILES.map((f) => [basename(f), f]))(
    "reads manufacturer, model and version of %s as openssl does",
    (_name, file) => {
      const line = lines.find((l) => l.file === file);
      expect(line).toBeDefined();
      const expected = opensslTpmAttributes(file);
      expect(expected.manufacturer).toMatch(/^id:[0-9A-Fa-f]{8}$/);
      expect({ manufacturer: line?.manufacturer, model: line?.model, version: line?.version }).toEqual(
        expected,
      );
    },
  );

  it.each(SAMPLE_FILES.map((f) => [basename(f), f]))(
    "reports ek_pub_sha256 of %s equal to openssl x509 -pubkey | openssl pkey -pubin -outform DER | sha256sum",
    (_name, file) => {
      const line = lines.find((l) => l.file === file);
      expect(line?.ek_pub_sha256).toBe(opensslEkPubSha256(file));
    },
  );

  it.each(SAMPLE_FILES.map((f) => [basename(f), f]))(
    "lists the chain of %s from the leaf to its anchor, the leaf's issuer second",
    (_name, file) => {
      const chain = lines.find((l) => l.file === file)?.chain ?? [];
      expect(chain.length).toBeGreaterThanOrEqual(2);
      expect(chain[1]).toContain(opensslIssuerCn(file));
    },
  );
});

describe("registrar ekcert verify, human output", () => {
  it("prints OK, the file, the vendor code and id, model, version, ek_pub_sha256, then the chain", async () => {
    const ifx = join(CERTS, "ifx_rsa_optiga_ca035_keylime.pem");
    const ntc = join(CERTS, "ntc_rsa_root2111_spire.pem");
    const run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", AT, ifx, ntc);
    expect(run.code).toBe(0);
    const out = run.stdout.split("\n");
    const ifxLine = out.find((l) => l.includes(ifx)) ?? "";
    expect(ifxLine).toMatch(/^OK {3}/);
    expect(ifxLine).toContain("IFX (id:49465800) SLB 9670 TPM2.0 id:073f");
    expect(ifxLine).toContain(opensslEkPubSha256(ifx));
    expect(out[out.indexOf(ifxLine) + 1]).toMatch(
      /^ {5}chain: .+ -> .*Infineon OPTIGA\(TM\) RSA Manufacturing CA 035/,
    );
    expect(out.find((l) => l.includes(ntc))).toContain("NTC (id:4E544300) NPCT75x id:00070002");
    expect(run.stderr).toMatch(/\d+ certs loaded from /);
  });

  it("prints FAIL with the reason and its code for a rejected file", async () => {
    const stm = join(CERTS, "stm_rsa_ca05_keylime.pem");
    const run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", "2040-01-01", stm);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`^FAIL ${stm.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} {2}.*expired.*\\[EK_CERT_EXPIRED\\]`),
    );
  });
});

// --- other encodings of the same certificate ------------------------------------------------

describe("registrar ekcert verify reads every encoding of an EK certificate", () => {
  const sample = join(CERTS, "swtpm_ecc384_ek_salrashid.pem");
  let der: Buffer;
  let expectedHash: string;
  beforeAll(() => {
    der = opensslDer(sample);
    expectedHash = opensslEkPubSha256(sample);
  });

  async function verifiesAs(file: string): Promise<void> {
    const run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", AT, "--json", file);
    expect(run.stderr).not.toContain("internal error");
    expect(run.code).toBe(0);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({ file, ok: true, reason: null, ek_pub_sha256: expectedHash });
  }

  it("accepts a DER copy", async () => {
    await verifiesAs(await tempFile("ek.der", der));
  });

  it("accepts a base64 DER copy", async () => {
    await verifiesAs(await tempFile("ek.b64", `${der.toString("base64")}\n`));
  });

  it("accepts a raw NV dump: DER followed by zero padding", async () => {
    const nv = Buffer.concat([der, Buffer.alloc(2048 - der.length)]);
    await verifiesAs(await tempFile("nv-01c00016.bin", nv));
  });

  it("accepts a raw NV dump with a TCG stored-certificate header (10 01 <u16 length>) before the DER", async () => {
    const header = Buffer.from([0x10, 0x01, der.length >> 8, der.length & 0xff]);
    const nv = Buffer.concat([header, der, Buffer.alloc(64)]);
    await verifiesAs(await tempFile("nv-header.bin", nv));
  });

  it("takes further certificates in the same PEM file as intermediates", async () => {
    // A CA dir with the Infineon root alone: the manufacturing CA comes from the EK's file.
    const caDir = join(tmp, "root-only");
    await mkdir(caDir);
    await writeFile(join(caDir, "root.pem"), await readFile(join(CAS, "infineon_optiga_rsa_root_ca.pem")));
    const leaf = await readFile(join(CERTS, "ifx_rsa_optiga_ca035_keylime.pem"), "utf8");
    const intermediate = await readFile(join(CAS, "infineon_optiga_rsa_mfg_ca035.pem"), "utf8");
    const alone = await tempFile("ifx-alone.pem", leaf);
    const bundled = await tempFile("ifx-with-intermediate.pem", `${leaf}\n${intermediate}`);

    const without = await registrar("ekcert", "verify", "--ca-dir", caDir, "--at", AT, "--json", alone);
    expect(without.code).toBe(1);
    expect(jsonLines(without.stdout)[0]?.reason).toContain("Infineon OPTIGA(TM) RSA Manufacturing CA 035");

    const withIt = await registrar("ekcert", "verify", "--ca-dir", caDir, "--at", AT, "--json", bundled);
    expect(withIt.code).toBe(0);
    expect(jsonLines(withIt.stdout)[0]?.chain).toHaveLength(3);
  });
});

// --- bad input ---------------------------------------------------------------------------------

describe("registrar ekcert verify rejects files that hold no certificate (exit 1, with a reason)", () => {
  async function rejects(name: string, bytes: Uint8Array): Promise<void> {
    const file = await tempFile(name, bytes);
    const run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", AT, "--json", file);
    expect(run.code).toBe(1);
    const lines = jsonLines(run.stdout);
    expect(lines).toHaveLength(1);
    expect(Object.keys(lines[0] ?? {})).toEqual(JSON_KEYS);
    expect(lines[0]).toMatchObject({ file, ok: false, chain: null, ek_pub_sha256: null });
    expect(lines[0]?.reason).toEqual(expect.stringMatching(/\S{3,}/));
  }

  it("rejects garbage", async () => {
    await rejects("garbage.bin", Buffer.from("this is not a certificate, just some text\n".repeat(8)));
  });

  it("rejects a truncated DER certificate", async () => {
    const der = opensslDer(join(CERTS, "ifx_rsa_optiga_ca035_keylime.pem"));
    await rejects("truncated.der", der.subarray(0, Math.floor(der.length / 2)));
  });

  it("rejects an empty file", async () => {
    await rejects("empty.pem", new Uint8Array());
  });

  it("still verifies the good files beside a rejected one, and exits 1", async () => {
    const garbage = await tempFile("garbage2.bin", Buffer.from([0x30, 0x82, 0xff, 0xff, 1, 2, 3]));
    const good = join(CERTS, "stm_ecc_ca01_keylime.pem");
    const run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", AT, "--json", good, garbage);
    expect(run.code).toBe(1);
    expect(jsonLines(run.stdout).map((l) => l.ok)).toEqual([true, false]);
  });
});

describe("registrar ekcert verify usage errors and unreadable input (exit 2)", () => {
  it("exits 2 for a file that does not exist, naming it, and still checks the others", async () => {
    const missing = join(tmp, "no-such-ek.pem");
    const good = join(CERTS, "stm_ecc_ca01_keylime.pem");
    const run = await registrar("ekcert", "verify", "--ca-dir", CAS, "--at", AT, missing, good);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`cannot read ${missing}: no such file or directory`);
    expect(run.stdout).toMatch(/^OK {3}.*stm_ecc_ca01_keylime\.pem/m);
  });

  it("exits 2 for an --at that is not an ISO 8601 date, before reading anything", async () => {
    const run = await registrar(
      "ekcert",
      "verify",
      "--ca-dir",
      CAS,
      "--at",
      "yesterday",
      SAMPLE_FILES[0] ?? "",
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('--at "yesterday" is not an ISO 8601 date');
    expect(run.stderr).toContain("ekcert verify --help");
  });

  it("exits 2 for an impossible date", async () => {
    const run = await registrar(
      "ekcert",
      "verify",
      "--ca-dir",
      CAS,
      "--at",
      "2026-02-30",
      SAMPLE_FILES[0] ?? "",
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("not a valid date");
  });

  it("exits 2 without --ca-dir, without a FILE, or with an unknown option", async () => {
    const noDir = await registrar("ekcert", "verify", SAMPLE_FILES[0] ?? "");
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain("--ca-dir DIR is required");
    const noFile = await registrar("ekcert", "verify", "--ca-dir", CAS);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain("no FILE given");
    const unknown = await registrar(
      "ekcert",
      "verify",
      "--ca-dir",
      CAS,
      "--frobnicate",
      SAMPLE_FILES[0] ?? "",
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--frobnicate");
  });

  it("exits 2 when the CA directory does not exist", async () => {
    const run = await registrar(
      "ekcert",
      "verify",
      "--ca-dir",
      join(tmp, "no-such-dir"),
      SAMPLE_FILES[0] ?? "",
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("cannot read the CA directory");
  });
});

// --- help ----------------------------------------------------------------------------------------

describe("registrar --help", () => {
  it.each([[[]], [["ekcert"]], [["ekcert", "verify"]]])(
    "registrar %j --help shows usage, options, exit codes and an example",
    async (words) => {
      const run = await registrar(...words, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: npm run registrar -- /);
      expect(run.stdout).toContain("Options:");
      expect(run.stdout).toMatch(/Exit status/);
      expect(run.stdout).toMatch(
        words.length === 0
          ? /(Examples?|A first run):\n {2}npm run registrar -- init/
          : /Examples?:\n {2}npm run registrar -- ekcert verify --ca-dir/,
      );
    },
  );

  it("documents every option of ekcert verify and how unreadable and garbage files differ", async () => {
    const { stdout } = await registrar("ekcert", "verify", "--help");
    for (const option of ["--ca-dir DIR", "--at ISO-DATE", "--json", "--help"])
      expect(stdout).toContain(option);
    expect(stdout).toMatch(
      /1 {2}at least one FILE was rejected; a FILE that was read but holds no certificate/,
    );
    expect(stdout).toMatch(/2 {2}usage error[\s\S]*?a FILE that cannot be read from disk/);
  });

  it("lists every command as available (none is marked not built yet)", async () => {
    const help = await registrar("--help");
    for (const command of [
      "serve",
      "init",
      "cas",
      "stations",
      "import",
      "devices",
      "tokens",
      "offline",
      "audit",
    ])
      expect(help.stdout).toMatch(new RegExp(`^ {2}${command} {2,}\\S`, "m"));
    expect(help.stdout).not.toMatch(/not built yet/);
  });
});
