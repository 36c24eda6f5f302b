// The real manufacturer CAs of ../shared/manufacturer-cas (DESIGN §9): they all load, and for
// every ordered pair of distinct certificates our one-link check (verifyIssuedBy) accepts
// exactly the pairs that `openssl verify -partial_chain` accepts. openssl decides, at test
// time; validity is ignored on both sides.
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type CaStore, type Certificate, loadCaDir, verifyIssuedBy } from "../../shared/ekcert/index.js";
import { CommandError, run } from "../harness/index.js";

const CA_DIR = fileURLToPath(new URL("../../../shared/manufacturer-cas/", import.meta.url));

/** Map over `items` with at most `limit` calls in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** Whether openssl accepts `child` as issued by `issuer` (the only, trusted, certificate). */
async function opensslAccepts(child: string, issuer: string): Promise<{ ok: boolean; error: string }> {
  try {
    await run("openssl", ["verify", "-partial_chain", "-no_check_time", "-CAfile", issuer, child]);
    return { ok: true, error: "" };
  } catch (e) {
    if (!(e instanceof CommandError) || e.exitCode === null) throw e;
    const error = /error \d+ at \d+ depth lookup: (.*)/.exec(`${e.stdout}${e.stderr}`)?.[1] ?? e.message;
    return { ok: false, error };
  }
}

/** The SHA-256 of each file's certificate as openssl re-encodes it to DER. */
async function opensslDerDigest(file: string): Promise<string> {
  const { stdout } = await run("openssl", ["x509", "-in", file, "-outform", "DER"]);
  return createHash("sha256").update(stdout).digest("hex");
}

describe("the real manufacturer CAs (../shared/manufacturer-cas)", () => {
  let files: string[];
  let store: CaStore;
  let loaded: Awaited<ReturnType<typeof loadCaDir>>;
  /** One file per distinct certificate (openssl's view), with our parse of it. */
  let distinct: { file: string; cert: Certificate }[];

  beforeAll(async () => {
    files = (await readdir(CA_DIR)).filter((f) => f.endsWith(".pem")).sort();
    loaded = await loadCaDir(CA_DIR);
    store = loaded.store;
    const digests = await pool(files, 8, (f) => opensslDerDigest(join(CA_DIR, f)));
    const seen = new Set<string>();
    distinct = [];
    files.forEach((f, i) => {
      const digest = digests[i] as string;
      if (seen.has(digest)) return;
      seen.add(digest);
      const cert = store.certificates.find(
        (c) => createHash("sha256").update(c.der).digest("hex") === digest,
      );
      if (!cert) throw new Error(`${f}: openssl reads a certificate that the store does not hold`);
      distinct.push({ file: join(CA_DIR, f), cert });
    });
  });

  it("loads all 51 files without skipping any, counting byte-identical copies once", () => {
    expect(files).toHaveLength(51);
    expect(loaded.skipped).toEqual([]);
    // openssl finds 45 distinct certificates: six Infineon files are copies of others.
    expect(distinct).toHaveLength(45);
    expect(loaded.loaded).toBe(45);
    expect(store.size).toBe(45);
    expect(loaded.duplicates).toBe(6);
  });

  it("accepts exactly the (child, issuer) pairs that openssl verify -partial_chain accepts", async () => {
    const pairs = distinct.flatMap((child) =>
      distinct.filter((issuer) => issuer !== child).map((issuer) => ({ child, issuer })),
    );
    expect(pairs).toHaveLength(45 * 44);
    const verdicts = await pool(pairs, 8, async ({ child, issuer }) => {
      const openssl = await opensslAccepts(child.file, issuer.file);
      const ours = verifyIssuedBy(child.cert, issuer.cert);
      return { child: child.file, issuer: issuer.file, openssl, ours };
    });
    const name = (f: string) => f.slice(CA_DIR.length);
    const disagreements = verdicts
      .filter((v) => v.openssl.ok !== v.ours.ok)
      .map(
        (v) =>
          `${name(v.child)} by ${name(v.issuer)}: openssl ${v.openssl.ok ? "OK" : v.openssl.error}, ours ${
            v.ours.ok ? "OK" : v.ours.reason
          }`,
      );
    expect(disagreements).toEqual([]);
    const accepted = verdicts.filter((v) => v.openssl.ok).map((v) => `${name(v.child)} by ${name(v.issuer)}`);
    // Sanity: the vendors' published chains are among them (21 pairs in all with openssl 3.0).
    expect(accepted).toContain("STM_RSA_RT.pem by GS_TPM_RT.pem");
    expect(accepted).toContain("INTEL_I.pem by INTEL_RT.pem");
    expect(accepted.length).toBeGreaterThan(15);
  }, 120_000);

  it("accepts each self-signed root as its own issuer exactly when openssl checks its self-signature", async () => {
    const selfIssued = distinct.filter(({ cert }) => verifyIssuedBy(cert, cert).ok);
    const roots = await pool(distinct, 8, async ({ file, cert }) => {
      try {
        const { stdout } = await run("openssl", ["x509", "-in", file, "-noout", "-subject", "-issuer"]);
        const [subject, issuer] = stdout.toString().split("\n");
        if (subject?.replace(/^subject=/, "") !== issuer?.replace(/^issuer=/, "")) return undefined;
        await run("openssl", ["verify", "-check_ss_sig", "-no_check_time", "-CAfile", file, file]);
        return cert;
      } catch (e) {
        if (e instanceof CommandError && e.exitCode !== null) return undefined;
        throw e;
      }
    });
    expect(selfIssued.map((d) => d.file).sort()).toEqual(
      distinct.filter((_, i) => roots[i] !== undefined).map((d) => d.file),
    );
  });
});
