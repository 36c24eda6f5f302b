// The factory station CLI end to end (issue 4, DESIGN §5, §8), spawning the real program on
// harness TPMs: keygen, capture → inspect for both layouts, an independent check of the
// manifest signature (Sig_structure rebuilt by hand, node:crypto Ed25519), refusals of
// defective and already-captured TPMs, and inspect's errors.
import { createHash, createPublicKey, verify } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CborObject, decodeCbor, encodeCbor } from "../../shared/formats/cbor.js";
import { signSign1 } from "../../shared/formats/cose-sign1.js";
import { parseSign1 } from "../../shared/formats/cose-verify.js";
import { readPrivateKey, sodiumEd25519KeyPair } from "../../shared/formats/keys.js";
import { expectNoTransientHandles, runToExit, type SimTpm, tpm2, useFleet } from "../harness/index.js";

/** A capture time after the harness PKI's certificates start (they are made when the file runs). */
const AT = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

const fleet = useFleet({
  infineon: { layout: "infineon", vendor: "A", chain: true },
  nuvoton: { layout: "nuvoton", vendor: "B" },
  foreign: { layout: "infineon", vendor: "A", defect: "foreign-rsa-cert" },
  rogue: { layout: "nuvoton", vendor: "rogue" },
  noCert: { layout: "infineon", vendor: "A", defect: "missing-rsa-cert" },
});

let work: string;
let stationKey: string;
let stationPub: string;
let otherPub: string;
let pending: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "factory-cli-"));
  pending = join(work, "pending");
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function factory(...args: string[]) {
  return runToExit("node", ["--import", "tsx", join(ROOT, "factory/cli/main.ts"), ...args], {
    cwd: ROOT,
    timeoutMs: 90_000,
  });
}

function captureArgs(sim: SimTpm, serial: string, ...extra: string[]): string[] {
  return [
    "capture",
    "--tcti",
    sim.tcti,
    "--serial",
    serial,
    "--key",
    stationKey,
    "--ca-dir",
    fleet.pki.trustedCaDir,
    "--out-dir",
    pending,
    ...extra,
  ];
}

// --- an independent COSE_Sign1 reader and Sig_structure writer (no shared/formats code) ---

/** Reads a CBOR head at `pos`: major type, argument, and where the content starts. */
function head(buf: Uint8Array, pos: number): { major: number; arg: number; next: number } {
  const ib = buf[pos]!;
  const info = ib & 0x1f;
  let arg = info;
  let next = pos + 1;
  if (info >= 24) {
    const n = 1 << (info - 24);
    arg = 0;
    for (let i = 0; i < n; i++) arg = arg * 256 + buf[next + i]!;
    next += n;
  }
  return { major: ib >> 5, arg, next };
}

function headBytes(major: number, length: number): number[] {
  if (length < 24) return [(major << 5) | length];
  if (length < 0x100) return [(major << 5) | 24, length];
  if (length < 0x10000) return [(major << 5) | 25, length >> 8, length & 0xff];
  return [
    (major << 5) | 26,
    (length >>> 24) & 0xff,
    (length >> 16) & 0xff,
    (length >> 8) & 0xff,
    length & 0xff,
  ];
}

function bstr(bytes: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(headBytes(2, bytes.length)), bytes]);
}

/** Takes a COSE_Sign1 apart by hand and verifies it with node:crypto against a PEM public key. */
function verifyIndependently(cose: Uint8Array, pubPem: string): { kid: Buffer; payload: Uint8Array } {
  expect(cose[0]).toBe(0xd2); // tag 18
  expect(cose[1]).toBe(0x84); // array of 4
  const p = head(cose, 2);
  expect(p.major).toBe(2);
  const protectedBytes = cose.subarray(p.next, p.next + p.arg);
  expect(cose[p.next + p.arg]).toBe(0xa0); // empty unprotected map
  const pl = head(cose, p.next + p.arg + 1);
  expect(pl.major).toBe(2);
  const payload = cose.subarray(pl.next, pl.next + pl.arg);
  const sg = head(cose, pl.next + pl.arg);
  expect(sg.major).toBe(2);
  expect(sg.arg).toBe(64);
  const signature = cose.subarray(sg.next, sg.next + 64);
  expect(sg.next + 64).toBe(cose.length);

  // protected = {1: -8 (EdDSA), 4: kid (16 bytes)}
  expect(Buffer.from(protectedBytes.subarray(0, 5)).toString("hex")).toBe("a201270450");
  const kid = Buffer.from(protectedBytes.subarray(5));
  expect(kid.length).toBe(16);
  const key = createPublicKey(pubPem);
  const raw = key.export({ format: "der", type: "spki" }).subarray(-32);
  expect(kid).toEqual(createHash("sha256").update(raw).digest().subarray(0, 16));

  // Sig_structure = ["Signature1", protected, h'', payload]
  const sigStructure = Buffer.concat([
    Buffer.from([0x84, 0x6a]),
    Buffer.from("Signature1", "ascii"),
    bstr(protectedBytes),
    Buffer.from([0x40]),
    bstr(payload),
  ]);
  expect(verify(null, sigStructure, key, signature)).toBe(true);
  return { kid, payload };
}

async function manifestFiles(): Promise<string[]> {
  return (await readdir(pending).catch(() => [] as string[])).filter((n) => n.endsWith(".manifest")).sort();
}

// ---------------------------------------------------------------------------------------------

describe("factory CLI basics", () => {
  it("answers --help at every level, and refuses a usage error with exit 2", async () => {
    const main = await factory("--help");
    expect(main.exitCode).toBe(0);
    expect(main.stdout.toString()).toContain("capture-batch");
    expect(main.stdout.toString()).toContain("Exit status:");
    for (const command of ["keygen", "capture", "capture-batch", "inspect", "bundle"]) {
      const r = await factory(command, "--help");
      expect(r.exitCode, command).toBe(0);
      expect(r.stdout.toString()).toContain(`npm run factory -- ${command}`);
    }
    const bad = await factory("capture", "--serial", "SN-1");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("--tcti T is required");
  });

  it("keygen writes NAME.key with mode 0600 and NAME.pub, and refuses to overwrite", async () => {
    const r = await factory("keygen", "--station", "line1", "--out", join(work, "keys"));
    expect(r.exitCode, r.stderr).toBe(0);
    stationKey = join(work, "keys", "line1.key");
    stationPub = join(work, "keys", "line1.pub");
    expect((await stat(stationKey)).mode & 0o777).toBe(0o600);
    expect(await readFile(stationPub, "utf8")).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(r.stdout.toString()).toMatch(/kid: +[0-9a-f]{32}/);
    const before = await readFile(stationKey, "utf8");

    const again = await factory("keygen", "--station", "line1", "--out", join(work, "keys"));
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain("already exists; refusing to overwrite");
    expect(await readFile(stationKey, "utf8")).toBe(before);

    const other = await factory("keygen", "--station", "line2", "--out", join(work, "keys"));
    expect(other.exitCode).toBe(0);
    otherPub = join(work, "keys", "line2.pub");
  });
});

describe("capture → inspect", () => {
  it.each([
    [
      "infineon",
      "SN-INF-1",
      [
        ["L-1", "rsa2048"],
        ["L-2", "ecc-p256"],
      ],
    ],
    [
      "nuvoton",
      "SN-NUV-1",
      [
        ["L-1", "rsa2048"],
        ["H-3", "ecc-p384"],
      ],
    ],
  ] as const)(
    "captures the %s-like TPM with all its EKs, signed and inspectable",
    async (name, serial, eks) => {
      const sim = fleet.tpm(name);
      const r = await factory(
        ...captureArgs(sim, serial, "--hw-uuid", "uuid-1", "--model", "board-x", "--at", AT, "--json"),
      );
      expect(r.exitCode, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout.toString());
      expect(summary.station).toBe("line1");
      expect(summary.eks.map((e: { template: string; alg: string }) => [e.template, e.alg])).toEqual(eks);
      // Our CLI closed its connection: tpm2-tools can use the swtpm, and nothing was left loaded.
      await expectNoTransientHandles(sim);

      const file = join(pending, `${serial}.manifest`);
      const bytes = new Uint8Array(await readFile(file));
      const { payload } = verifyIndependently(bytes, await readFile(stationPub, "utf8"));

      const inspected = await factory("inspect", file, "--json", "--station-pub", stationPub);
      expect(inspected.exitCode, inspected.stderr).toBe(0);
      const out = JSON.parse(inspected.stdout.toString());
      expect(out.kind).toBe("manifest");
      expect(out.verified).toBe(true);
      expect(out.manifest).toMatchObject({
        v: 1,
        serial,
        hw_uuid: "uuid-1",
        model: "board-x",
        station: "line1",
        captured_at: Date.parse(AT) / 1000,
        platform_cert: null,
      });
      expect(out.manifest.eks).toHaveLength(sim.eks.length);
      for (const ek of out.manifest.eks) {
        const simEk = sim.eks.find((e) => e.template === ek.template);
        expect(simEk, ek.template).toBeDefined();
        expect(Buffer.from(ek.cert, "base64")).toEqual(Buffer.from(simEk?.certDer ?? []));
        expect(ek.cert_nv).toBe(simEk?.nvIndex);
        expect(ek.ek_pub_sha256).toBe(
          summary.eks.find((e: { template: string }) => e.template === ek.template).ek_pub_sha256,
        );
      }
      if (sim.chain)
        expect(Buffer.concat(out.manifest.eks[0].chain.map((c: string) => Buffer.from(c, "base64")))).toEqual(
          Buffer.from(sim.chain.der),
        );
      // The payload the hand-made check verified is the one inspect decoded.
      expect((decodeCbor(payload) as CborObject)["serial"]).toBe(serial);

      const human = await factory("inspect", file);
      expect(human.exitCode).toBe(0);
      expect(human.stdout.toString()).toContain(`serial:        ${serial}`);
      expect(human.stderr).toContain("signature NOT verified");
    },
  );

  it("refuses a TPM already captured, naming the earlier serial, and an existing serial", async () => {
    const sim = fleet.tpm("infineon");
    const before = await manifestFiles();
    const r = await factory(...captureArgs(sim, "SN-INF-2"));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("already captured as serial SN-INF-1");
    expect(await manifestFiles()).toEqual(before);
    await expectNoTransientHandles(sim);

    const same = await factory(...captureArgs(fleet.tpm("nuvoton"), "SN-INF-1"));
    expect(same.exitCode).toBe(1);
    expect(same.stderr).toContain("a manifest for serial SN-INF-1 already exists");
    expect(await manifestFiles()).toEqual(before);
  });

  it.each([
    [
      "foreign",
      "SN-FOREIGN",
      "EK certificate at NV 0x01C00002 belongs to a different key than this TPM's L-1 EK",
    ],
    ["rogue", "SN-ROGUE", "EK certificate at NV 0x01C00002 is not trusted by this station"],
  ] as const)("refuses the %s TPM with a clear message and no manifest", async (name, serial, message) => {
    const sim = fleet.tpm(name);
    const r = await factory(...captureArgs(sim, serial));
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`REFUSED board ${serial}: `);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain("No manifest was written");
    expect(existsSync(join(pending, `${serial}.manifest`))).toBe(false);
    expect((await readdir(pending)).filter((n) => n.startsWith("."))).toEqual([]);
    await expectNoTransientHandles(sim);
  });
});

describe("a TPM with no EK certificate", () => {
  it("is refused unless --allow-no-cert, which records its EK hash alone", async () => {
    const sim = fleet.tpm("noCert");
    await tpm2(sim.tcti, "tpm2_nvundefine", ["-C", "p", "0x1c0000a"]); // its remaining (ECC) cert
    const refused = await factory(...captureArgs(sim, "SN-PTT"));
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain("no EK certificate in NV");
    expect(refused.stderr).toContain("--allow-no-cert");
    expect(existsSync(join(pending, "SN-PTT.manifest"))).toBe(false);

    const allowed = await factory(...captureArgs(sim, "SN-PTT", "--allow-no-cert", "--at", AT));
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(allowed.stdout.toString()).toContain("no certificate");
    const inspected = await factory(
      "inspect",
      join(pending, "SN-PTT.manifest"),
      "--json",
      "--station-pub",
      stationPub,
    );
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    expect(JSON.parse(inspected.stdout.toString()).manifest.eks).toEqual([
      expect.objectContaining({ alg: "rsa2048", template: "L-1", cert: null, cert_nv: null, chain: [] }),
    ]);
    await expectNoTransientHandles(sim);
  });
});

describe("inspect refuses bad files", () => {
  let good: Uint8Array;
  beforeAll(async () => {
    good = new Uint8Array(await readFile(join(pending, "SN-INF-1.manifest")));
  });

  async function inspectBytes(name: string, bytes: Uint8Array, ...args: string[]) {
    const file = join(work, name);
    await writeFile(file, bytes);
    return factory("inspect", file, ...args);
  }

  it("refuses a truncated manifest", async () => {
    const r = await inspectBytes(
      "truncated.manifest",
      good.subarray(0, good.length - 40),
      "--station-pub",
      stationPub,
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("truncated");
  });

  it("refuses garbage", async () => {
    const text = await inspectBytes("garbage.manifest", Buffer.from("this is not a manifest\n"));
    expect(text.exitCode).toBe(1);
    expect(text.stderr).toMatch(/not a factory file/);
    const empty = await inspectBytes("empty.manifest", new Uint8Array(0));
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toContain("is empty");
  });

  it("refuses a manifest signed by another station (wrong kid)", async () => {
    const r = await inspectBytes("other.manifest", good, "--station-pub", otherPub);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/signed by key id [0-9a-f]{32}, not by .*line2\.pub/);
  });

  it("refuses an altered signature and an altered payload", async () => {
    const flipped = good.slice();
    flipped[flipped.length - 1]! ^= 0x01;
    const sig = await inspectBytes("flipped.manifest", flipped, "--station-pub", stationPub);
    expect(sig.exitCode).toBe(1);
    expect(sig.stderr).toContain("signature does not verify");

    const altered = good.slice();
    const at = Buffer.from(good).indexOf("SN-INF-1"); // in the payload: the only place it appears
    altered[at + 7] = "9".charCodeAt(0);
    const pl = await inspectBytes("altered.manifest", altered, "--station-pub", stationPub);
    expect(pl.exitCode).toBe(1);
    expect(pl.stderr).toContain("signature does not verify");
  });

  it("refuses an unknown version, naming it, even when correctly signed", async () => {
    const map = decodeCbor(parseSign1(good).payload) as CborObject;
    map["v"] = 2;
    const keys = sodiumEd25519KeyPair(await readPrivateKey(stationKey, "ed25519"));
    const r = await inspectBytes(
      "v2.manifest",
      await signSign1(encodeCbor(map), keys),
      "--station-pub",
      stationPub,
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("device manifest has format version v=2");
  });

  it("recognises a bundle and asks for --station-pub to verify it (bundles: test/factory/bundle.test.ts)", async () => {
    const keys = sodiumEd25519KeyPair(await readPrivateKey(stationKey, "ed25519"));
    const header = await signSign1(encodeCbor({ v: 1, bundle_id: "b-1" }), keys);
    const r = await inspectBytes("x.bundle", header);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("is a bundle: give --station-pub");
  });
});
