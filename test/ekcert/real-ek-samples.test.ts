// The 8 real EK certificates of ../shared/ek-samples (Infineon, STMicro, Nuvoton, Intel PTT,
// swtpm; RSA and ECC) verify against a store loaded from ../shared/ek-samples/cas, with the same
// path openssl builds, at a time openssl also accepts; and their TPM attributes and EK key hash
// are what openssl reads.
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CaStore,
  loadCaDir,
  parseCertificate,
  readCertificateInput,
  verifyEkCertificate,
} from "../../shared/ekcert/index.js";
import { run } from "../harness/index.js";
import { runDir } from "../harness/run-dir.js";

const SAMPLES = fileURLToPath(new URL("../../../shared/ek-samples/", import.meta.url));
const CERTS = join(SAMPLES, "certs");
const CAS = join(SAMPLES, "cas");

const openssl = async (...args: string[]): Promise<string> => (await run("openssl", args)).stdout.toString();
const opensslDate = (line: string): Date => new Date(line.replace(/^not(Before|After)=/, "").trim());

let store: CaStore;
let bundle: string;
/** openssl's one-line subject of each CA file. */
const caFileBySubject = new Map<string, string>();

beforeAll(async () => {
  const loaded = await loadCaDir(CAS);
  expect(loaded.skipped).toEqual([]);
  store = loaded.store;
  const caFiles = (await readdir(CAS)).filter((f) => f.endsWith(".pem")).sort();
  bundle = join(runDir(), `ek-samples-cas-${process.pid}.pem`);
  await writeFile(bundle, (await Promise.all(caFiles.map((f) => readFile(join(CAS, f), "utf8")))).join("\n"));
  for (const f of caFiles) {
    const subject = (await openssl("x509", "-in", join(CAS, f), "-noout", "-subject"))
      .replace(/^subject=/, "")
      .trim();
    caFileBySubject.set(subject, f);
  }
});

const samples = [
  "ifx_ecc_optiga_ca035_keylime.pem",
  "ifx_rsa_optiga_ca035_keylime.pem",
  "intc_rsa_ptt_spth_gotpmkit.pem",
  "ntc_rsa_root2111_spire.pem",
  "stm_ecc_ca01_keylime.pem",
  "stm_rsa_ca05_keylime.pem",
  "swtpm_ecc384_ek_salrashid.pem",
  "swtpm_rsa2048_ek_salrashid.pem",
];

describe("the real EK certificates of ../shared/ek-samples", () => {
  it("are the 8 files of the directory", async () => {
    expect((await readdir(CERTS)).sort()).toEqual(samples);
  });

  it.each(samples)(
    "%s verifies along the path openssl builds, at a time inside every validity, with openssl's key hash",
    async (file) => {
      const path = join(CERTS, file);
      // openssl's path to a self-signed root (validity ignored), as CA files.
      const shown = await openssl("verify", "-no_check_time", "-show_chain", "-CAfile", bundle, path);
      const chainFiles = [...shown.matchAll(/^depth=(\d+): (.*)$/gm)]
        .filter((m) => m[1] !== "0")
        .map((m) => caFileBySubject.get((m[2] ?? "").trim()));
      expect(chainFiles.length).toBeGreaterThan(0);
      expect(chainFiles).not.toContain(undefined);
      // A time inside the validity of the leaf and of every CA on that path (real EK certs can
      // predate their CA's notBefore, or outlive its notAfter).
      const files = [path, ...chainFiles.map((f) => join(CAS, f as string))];
      const spans = await Promise.all(
        files.map(async (f) => {
          const [nb = "", na = ""] = (
            await openssl("x509", "-in", f, "-noout", "-startdate", "-enddate")
          ).split("\n");
          return { notBefore: opensslDate(nb), notAfter: opensslDate(na) };
        }),
      );
      const at = new Date(Math.max(...spans.map((s) => s.notBefore.getTime())) + 86_400_000);
      expect(at.getTime()).toBeLessThan(Math.min(...spans.map((s) => s.notAfter.getTime())));
      const epoch = String(Math.floor(at.getTime() / 1000));
      expect(await openssl("verify", "-attime", epoch, "-CAfile", bundle, path)).toContain(": OK");

      const result = verifyEkCertificate(new Uint8Array(await readFile(path)), { store, at });
      expect(result.ok, result.ok ? "" : result.reason).toBe(true);
      if (!result.ok) return;
      expect(result.chain.slice(1).map((c) => store.sourceOf(c))).toEqual(
        chainFiles.map((f) => join(CAS, f as string)),
      );
      const pubkey = await openssl("x509", "-in", path, "-noout", "-pubkey");
      const spki = (await run("openssl", ["pkey", "-pubin", "-outform", "DER"], { input: pubkey })).stdout;
      expect(result.ekPubSha256).toBe(createHash("sha256").update(spki).digest("hex"));
    },
  );

  it.each(samples)("%s names its TPM manufacturer, model and version as openssl reads them", async (file) => {
    const path = join(CERTS, file);
    const text = await openssl("x509", "-in", path, "-noout", "-ext", "subjectAltName");
    const attr = (oid: string) =>
      new RegExp(`${oid.replace(/\./g, "\\.")}=([^/+\\n]*)`).exec(text)?.[1]?.trim();
    const [der] = readCertificateInput(new Uint8Array(await readFile(path)));
    const leaf = parseCertificate(der as Uint8Array);
    expect(leaf.tpm).toBeDefined();
    expect(leaf.tpm?.manufacturer).toBe(attr("2.23.133.2.1"));
    expect(leaf.tpm?.model).toBe(attr("2.23.133.2.2"));
    expect(leaf.tpm?.version).toBe(attr("2.23.133.2.3"));
    expect(leaf.tpm?.manufacturer).toMatch(/^id:[0-9A-Fa-f]{8}$/);
  });
});
