// The harness against real swtpm processes. Expected values come from tpm2-tools and openssl,
// never from the harness's own parsing.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandError, run } from "./exec.js";
import { expectNoTransientHandles, useFleet } from "./fixture.js";
import type { EkAlg, ManufactureOptions, SimEk, SimTpm } from "./manufacture.js";
import { hex, nvIndices, nvRead, nvReadPublic, persistentHandles, tpm2 } from "./tpm2-tools.js";

// What swtpm_setup's own cert indices show in tpm2_nvreadpublic (observed on swtpm 0.7.1):
// ppwrite|writedefine|ppread|ownerread|authread|no_da|written|platformcreate.
const SWTPM_EK_CERT_NV_ATTRIBUTES = 0x62072001;

let work: string;
let seq = 0;
const tmpFile = (name: string): string => join(work, `${++seq}-${name}`);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "harness-test-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function openssl(args: string[], input?: Uint8Array | string): Promise<Buffer> {
  return (await run("openssl", args, { input })).stdout;
}

/** SPKI DER of a certificate's subject key, as openssl extracts it. */
async function certSpki(der: Uint8Array): Promise<Buffer> {
  const pem = await openssl(["x509", "-inform", "DER", "-noout", "-pubkey"], der);
  return openssl(["pkey", "-pubin", "-outform", "DER"], pem);
}

const pemSpki = (pem: string): Promise<Buffer> => openssl(["pkey", "-pubin", "-outform", "DER"], pem);

/** PEM-wrap a DER certificate into a file for openssl (64-column base64, RFC 7468). */
async function derToPemFile(der: Uint8Array): Promise<string> {
  const file = tmpFile("cert.pem");
  const lines =
    Buffer.from(der)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  await writeFile(
    file,
    ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join("\n"),
  );
  return file;
}

/** `openssl verify`; resolves to its output whether or not the chain verifies. */
async function verify(
  der: Uint8Array,
  opts: { caFile: string; untrusted?: string; partial?: boolean },
): Promise<{ ok: boolean; output: string }> {
  const cert = await derToPemFile(der);
  const args = ["verify", ...(opts.partial ? ["-partial_chain"] : []), "-CAfile", opts.caFile];
  if (opts.untrusted) args.push("-untrusted", opts.untrusted);
  try {
    const { stdout, stderr } = await run("openssl", [...args, cert]);
    return { ok: true, output: stdout.toString() + stderr };
  } catch (e) {
    if (e instanceof CommandError) return { ok: false, output: e.stdout.toString() + e.stderr };
    throw e;
  }
}

const CREATEEK_ALG: Record<EkAlg, string> = { rsa2048: "rsa", "ecc-p256": "ecc", "ecc-p384": "ecc384" };

/** The EK public key recomputed by tpm2_createek from its template (then flushed). */
async function createEkSpki(tpm: SimTpm, alg: EkAlg): Promise<Buffer> {
  const pub = tmpFile("ek.pem");
  await tpm2(tpm.tcti, "tpm2_createek", [
    "-G",
    CREATEEK_ALG[alg],
    "-c",
    tmpFile("ek.ctx"),
    "-u",
    pub,
    "-f",
    "pem",
  ]);
  await tpm2(tpm.tcti, "tpm2_flushcontext", ["-t"]);
  return openssl(["pkey", "-pubin", "-in", pub, "-outform", "DER"]);
}

/** An EK's public key as tpm2_readpublic reports it: the persistent one, or else from the template. */
async function tpmEkSpki(tpm: SimTpm, e: SimEk): Promise<Buffer> {
  if (e.persistentHandle === null) return createEkSpki(tpm, e.alg);
  const out = tmpFile("ek.der");
  await tpm2(tpm.tcti, "tpm2_readpublic", ["-c", hex(e.persistentHandle), "-f", "der", "-o", out]);
  return readFile(out);
}

const ek = (tpm: SimTpm, alg: EkAlg): SimEk => {
  const found = tpm.eks.find((e) => e.alg === alg);
  if (!found) throw new Error(`${tpm.layout} TPM has no ${alg} EK`);
  return found;
};
const certOf = (e: SimEk): Uint8Array => {
  if (!e.certDer) throw new Error(`no cert at ${hex(e.nvIndex)}`);
  return e.certDer;
};

const textOf = async (der: Uint8Array): Promise<string> =>
  (await openssl(["x509", "-inform", "DER", "-noout", "-text", "-certopt", "no_sigdump"], der)).toString();

// One TPM per situation, all manufactured at once by useFleet (swtpm_setup mostly waits, so
// they overlap well); this also exercises many swtpm processes side by side.
const SPECS = {
  nuvoton: { layout: "nuvoton", vendor: "A", chain: true, nvPadding: 64 },
  infineon: { layout: "infineon", vendor: "A" },
  vendorB: { layout: "infineon", vendor: "B" },
  rogue: { layout: "nuvoton", vendor: "rogue" },
  missingRsa: { layout: "nuvoton", defect: "missing-rsa-cert" },
  missingEcc: { layout: "infineon", defect: "missing-ecc-cert" },
  foreignRsa: { layout: "nuvoton", defect: "foreign-rsa-cert" },
  foreignP256: { layout: "infineon", defect: "foreign-ecc-cert" },
  foreignP384: { layout: "nuvoton", defect: "foreign-ecc-cert" },
  toStop: { layout: "infineon" },
} as const satisfies Record<string, ManufactureOptions>;

describe("swtpm fleet harness", () => {
  const fleet = useFleet(SPECS);
  let nuvoton: SimTpm;
  let infineon: SimTpm;
  let vendorB: SimTpm;
  let rogue: SimTpm;

  beforeAll(() => {
    nuvoton = fleet.tpm("nuvoton");
    infineon = fleet.tpm("infineon");
    vendorB = fleet.tpm("vendorB");
    rogue = fleet.tpm("rogue");
  });

  describe("test PKI", () => {
    it("trusts vendor A's three CAs and vendor B's root, never the rogue root", async () => {
      const { pki } = fleet;
      const files = await readdir(pki.trustedCaDir);
      const fingerprints = async (pem: string): Promise<string> =>
        (await openssl(["x509", "-noout", "-fingerprint", "-sha256"], pem)).toString();
      const trusted = await Promise.all(
        files.map(async (f) => fingerprints(await readFile(join(pki.trustedCaDir, f), "utf8"))),
      );
      const expected = await Promise.all(
        [pki.vendorA.root, pki.vendorA.rsaIntermediate, pki.vendorA.eccIntermediate, pki.vendorB.root].map(
          (ca) => fingerprints(ca.certPem),
        ),
      );
      expect(trusted.sort()).toEqual(expected.sort());
      expect(trusted).not.toContain(await fingerprints(pki.rogue.root.certPem));
    });

    it("gives the rogue root vendor A's root subject with a different key", async () => {
      const { pki } = fleet;
      const subject = (pem: string) => openssl(["x509", "-noout", "-subject", "-nameopt", "RFC2253"], pem);
      expect((await subject(pki.rogue.root.certPem)).toString()).toBe(
        (await subject(pki.vendorA.root.certPem)).toString(),
      );
      const key = (pem: string) => openssl(["x509", "-noout", "-pubkey"], pem);
      expect((await key(pki.rogue.root.certPem)).equals(await key(pki.vendorA.root.certPem))).toBe(false);
    });

    it("makes intermediates CA:TRUE whose AKI is the root's SKI", async () => {
      const { pki } = fleet;
      const rootText = await textOf(pki.vendorA.root.certDer);
      const rootSki = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(rootText)?.[1];
      expect(rootSki).toBeDefined();
      for (const ca of [pki.vendorA.rsaIntermediate, pki.vendorA.eccIntermediate]) {
        const text = await textOf(ca.certDer);
        expect(text).toMatch(/Basic Constraints: critical\s*\n\s*CA:TRUE/);
        expect(text).toMatch(/Subject Key Identifier/);
        expect(text).toContain(rootSki);
        expect((await verify(ca.certDer, { caFile: pki.vendorA.root.certPemPath })).ok).toBe(true);
      }
    });
  });

  describe("layouts", () => {
    it("nuvoton: RSA-2048 cert at 0x01C00002 and P-384 at 0x01C00016, EKs persisted", async () => {
      expect(await nvIndices(nuvoton.tcti)).toEqual([0x01c00002, 0x01c00016, 0x01c00100]);
      expect(await persistentHandles(nuvoton.tcti)).toEqual([0x81010001, 0x81010016]);
    });

    it("infineon: RSA-2048 cert at 0x01C00002 and P-256 at 0x01C0000A, no P-384 left", async () => {
      expect(await nvIndices(infineon.tcti)).toEqual([0x01c00002, 0x01c0000a]);
      expect(await persistentHandles(infineon.tcti)).toEqual([0x81010001]);
    });

    it("defines cert indices with the attributes swtpm_setup uses", async () => {
      for (const tpm of [nuvoton, infineon]) {
        for (const e of tpm.eks) {
          expect((await nvReadPublic(tpm.tcti, e.nvIndex)).attributes).toBe(SWTPM_EK_CERT_NV_ATTRIBUTES);
        }
      }
    });

    it("leaves no transient object loaded after manufacturing", async () => {
      for (const tpm of [nuvoton, infineon, vendorB, rogue]) await expectNoTransientHandles(tpm);
    });
  });

  describe("EK certificates", () => {
    it("stores in NV exactly the DER reported", async () => {
      for (const e of infineon.eks) {
        const nv = await nvRead(infineon.tcti, e.nvIndex);
        expect(nv.equals(Buffer.from(certOf(e)))).toBe(true);
      }
    });

    it("certifies the TPM's own EK (template key from tpm2_createek = cert key = reported key)", async () => {
      // One TPM per task: tpm2-tools calls to the same swtpm must not overlap (one client at a time).
      await Promise.all(
        [nuvoton, infineon].map(async (tpm) => {
          for (const e of tpm.eks) {
            const nv = await nvRead(tpm.tcti, e.nvIndex);
            const fromTemplate = await createEkSpki(tpm, e.alg);
            expect((await certSpki(nv)).equals(fromTemplate), `${tpm.layout} ${e.alg}`).toBe(true);
            expect((await pemSpki(e.publicPem)).equals(fromTemplate)).toBe(true);
          }
          await expectNoTransientHandles(tpm);
        }),
      );
    });

    it("looks like a vendor EK cert: empty subject, critical TPM SAN, CA:FALSE, EK EKU, AKI", async () => {
      const { pki } = fleet;
      const cases = [
        { e: ek(infineon, "rsa2048"), usage: "Key Encipherment", issuer: pki.vendorA.rsaIntermediate },
        { e: ek(infineon, "ecc-p256"), usage: "Key Agreement", issuer: pki.vendorA.eccIntermediate },
      ];
      for (const { e, usage, issuer } of cases) {
        const text = await textOf(certOf(e));
        expect(text).toMatch(/Subject: *\n/);
        expect(text).toMatch(
          /Subject Alternative Name: critical\s*\n\s*DirName:\/2\.23\.133\.2\.1=id:00001014\/2\.23\.133\.2\.2=swtpm\/2\.23\.133\.2\.3=id:20191023\s*\n/,
        );
        expect(text).toMatch(/Basic Constraints: critical\s*\n\s*CA:FALSE/);
        expect(text).toMatch(new RegExp(`Key Usage: critical\\s*\\n\\s*${usage}\\s*\\n`));
        expect(text).toMatch(/Extended Key Usage:\s*\n\s*2\.23\.133\.8\.1/);
        const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(await textOf(issuer.certDer))?.[1];
        expect(text).toMatch(new RegExp(`Authority Key Identifier:\\s*\\n\\s*(keyid:)?${ski}`));
        const years = /Not Before: (.*)\n\s*Not After : (.*)\n/.exec(text);
        const span = Date.parse(years?.[2] ?? "") - Date.parse(years?.[1] ?? "");
        expect(span / (365 * 86_400_000)).toBeGreaterThan(5);
      }
    });

    it("has vendor A's RSA intermediate sign RSA EKs and its ECC intermediate sign ECC EKs", async () => {
      const { pki } = fleet;
      const { root, rsaIntermediate, eccIntermediate } = pki.vendorA;
      const checks = [nuvoton, infineon].flatMap((tpm) => {
        const rsa = certOf(ek(tpm, "rsa2048"));
        const ecc = certOf(tpm.eks[1] as SimEk);
        const via = (ca: typeof root) => ({ caFile: root.certPemPath, untrusted: ca.certPemPath });
        return [
          { der: rsa, opts: via(rsaIntermediate), ok: true },
          { der: ecc, opts: via(eccIntermediate), ok: true },
          // ... and not the other way round.
          { der: rsa, opts: via(eccIntermediate), ok: false },
          { der: ecc, opts: via(rsaIntermediate), ok: false },
          { der: rsa, opts: { caFile: pki.trustedBundle, partial: true }, ok: true },
          { der: ecc, opts: { caFile: pki.trustedBundle, partial: true }, ok: true },
        ];
      });
      const results = await Promise.all(checks.map((c) => verify(c.der, c.opts)));
      results.forEach((r, i) => {
        expect(r.ok, `check ${i}: ${r.output}`).toBe(checks[i]?.ok);
      });
    });

    it("has vendor B's root sign both EK certs directly", async () => {
      for (const e of vendorB.eks) {
        const result = await verify(certOf(e), { caFile: fleet.pki.vendorB.root.certPemPath });
        expect(result, result.output).toMatchObject({ ok: true });
      }
    });

    it("makes rogue certs that fail against the trusted CAs but verify against the rogue root", async () => {
      for (const e of rogue.eks) {
        const trusted = await verify(certOf(e), { caFile: fleet.pki.trustedBundle, partial: true });
        expect(trusted.ok, trusted.output).toBe(false);
        expect(trusted.output).toMatch(/signature failure|unable to get local issuer/);
        expect((await verify(certOf(e), { caFile: fleet.pki.rogue.root.certPemPath })).ok).toBe(true);
      }
    });

    it("gives every TPM its own EKs", async () => {
      const rsaKeys = await Promise.all(
        [nuvoton, infineon, vendorB, rogue].map((t) => tpmEkSpki(t, ek(t, "rsa2048"))),
      );
      expect(new Set(rsaKeys.map((k) => k.toString("hex"))).size).toBe(4);
    });
  });

  describe("options", () => {
    it("pads the NV index with zeros after the DER (nvPadding)", async () => {
      const e = ek(nuvoton, "rsa2048");
      const der = certOf(e);
      expect((await nvReadPublic(nuvoton.tcti, e.nvIndex)).size).toBe(der.length + 64);
      const nv = await nvRead(nuvoton.tcti, e.nvIndex);
      expect(nv.subarray(0, der.length).equals(Buffer.from(der))).toBe(true);
      expect(nv.subarray(der.length).equals(Buffer.alloc(64))).toBe(true);
      // openssl reads the certificate and ignores the trailing zeros.
      expect((await certSpki(nv)).equals(await pemSpki(e.publicPem))).toBe(true);
    });

    it("writes vendor A's intermediates back to back at 0x01C00100 (chain), completing the path", async () => {
      const { pki } = fleet;
      const nv = await nvRead(nuvoton.tcti, 0x01c00100);
      const intermediates = Buffer.concat(
        await Promise.all(
          [pki.vendorA.rsaIntermediate, pki.vendorA.eccIntermediate].map((ca) =>
            openssl(["x509", "-in", ca.certPemPath, "-outform", "DER"]),
          ),
        ),
      );
      expect(nv.equals(intermediates)).toBe(true);
      // The chain from NV plus the root alone verifies both EK certs.
      const chainPem = tmpFile("chain.pem");
      const first = derLength(nv);
      await writeFile(
        chainPem,
        Buffer.concat([
          await openssl(["x509", "-inform", "DER"], nv.subarray(0, first)),
          await openssl(["x509", "-inform", "DER"], nv.subarray(first)),
        ]),
      );
      for (const e of nuvoton.eks) {
        const r = await verify(certOf(e), { caFile: pki.vendorA.root.certPemPath, untrusted: chainPem });
        expect(r, r.output).toMatchObject({ ok: true });
      }
    });
  });

  describe("defects", () => {
    it("missing-rsa-cert: no index at 0x01C00002, the RSA EK itself still there", async () => {
      const tpm = fleet.tpm("missingRsa");
      expect(await nvIndices(tpm.tcti)).toEqual([0x01c00016]);
      expect(await persistentHandles(tpm.tcti)).toContain(0x81010001);
      expect(ek(tpm, "rsa2048").certDer).toBeNull();
    });

    it("missing-ecc-cert: no index at 0x01C0000A on an infineon-like TPM", async () => {
      const tpm = fleet.tpm("missingEcc");
      expect(await nvIndices(tpm.tcti)).toEqual([0x01c00002]);
      expect(ek(tpm, "ecc-p256").certDer).toBeNull();
    });

    const foreign = [
      { tpm: "foreignRsa", alg: "rsa2048", defect: "foreign-rsa-cert" },
      { tpm: "foreignP256", alg: "ecc-p256", defect: "foreign-ecc-cert" },
      { tpm: "foreignP384", alg: "ecc-p384", defect: "foreign-ecc-cert" },
    ] as const;
    for (const c of foreign) {
      it(`${c.defect} (${c.alg} EK): a trusted vendor cert for a key this TPM does not have`, async () => {
        const tpm = fleet.tpm(c.tpm);
        const e = ek(tpm, c.alg);
        const nv = await nvRead(tpm.tcti, e.nvIndex);
        expect((await verify(nv, { caFile: fleet.pki.trustedBundle, partial: true })).ok).toBe(true);
        const certKey = await certSpki(nv);
        expect(certKey.equals(await tpmEkSpki(tpm, e))).toBe(false);
        // Same algorithm and curve, so only the key comparison can catch it.
        const algOf = async (spki: Buffer) =>
          (await openssl(["pkey", "-pubin", "-inform", "DER", "-noout", "-text"], spki))
            .toString()
            .split("\n")[0];
        expect(await algOf(certKey)).toBe(await algOf(await pemSpki(e.publicPem)));
      });
    }
  });

  describe("process lifecycle", () => {
    it("stop() ends the swtpm process and frees its port", async () => {
      const tpm = fleet.tpm("toStop");
      expect(existsSync(`/proc/${tpm.pid}`)).toBe(true);
      await tpm.stop();
      expect(tpm.running).toBe(false);
      expect(existsSync(`/proc/${tpm.pid}`)).toBe(false);
      expect(() => process.kill(tpm.pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host: tpm.host, port: tpm.port });
        s.once("connect", () => {
          s.destroy();
          resolve(false);
        });
        s.once("error", () => resolve(true));
      });
      expect(refused).toBe(true);
      await tpm.stop(); // idempotent
    });
  });
});

/** Length of the first DER TLV in `buf` (to split certs written back to back). */
function derLength(buf: Uint8Array): number {
  const first = buf[1] ?? 0;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (buf[2 + i] ?? 0);
  return 2 + n + len;
}
