// Make one simulated TPM in a vendor's NV layout, with EK certs from the test PKI.
//
// Every TPM is manufactured from scratch (swtpm_setup, ~0.6 s): copying one state dir would
// give every copy the same endorsement seed, hence the same EKs, which no real fleet has.
//
// After swtpm_setup the TPM is running and the platform hierarchy is still open (no
// --lock-nvram), so the harness reshapes it with tpm2-tools and platform authorization:
// it removes swtpm_localca's certs and defines each cert index afresh, with swtpm's own
// attributes, sized for the cert it writes.
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ekIssuer,
  foreignPublicKey,
  issueEkCert,
  SWTPM_TPM_ATTRIBUTES,
  type TpmAttributes,
  type Vendor,
  vendorIntermediates,
} from "./ek-cert.js";
import type { TestPki } from "./pki.js";
import { runDir } from "./run-dir.js";
import { type SwtpmProcess, startSwtpm } from "./swtpm.js";
import { swtpmSetup } from "./swtpm-setup.js";
import { hex, nvIndices, readPublicPem, tpm2 } from "./tpm2-tools.js";

export type Layout = "nuvoton" | "infineon";
export type Defect = "missing-rsa-cert" | "missing-ecc-cert" | "foreign-rsa-cert" | "foreign-ecc-cert";
export type EkAlg = "rsa2048" | "ecc-p256" | "ecc-p384";
/** TCG EK Credential Profile template names. */
export type EkTemplate = "L-1" | "L-2" | "H-3";

/**
 * NV attributes for EK cert indices, as tpm2_nvdefine takes them. They are the ones
 * swtpm_setup gives its own cert indices: tpm2_nvreadpublic shows 0x62072001 for those, which is
 * these plus `written` (DESIGN §9).
 */
export const EK_CERT_NV_ATTRIBUTES = "ppwrite|ppread|ownerread|authread|no_da|platformcreate|writedefine";
/** TPMA_NV of a written EK cert index: EK_CERT_NV_ATTRIBUTES | written. */
export const EK_CERT_NV_ATTRIBUTES_WRITTEN = 0x62072001;
/** First index of the EK certificate chain range (0x01C00100–0x01C001FF). */
export const EK_CHAIN_NV_INDEX = 0x01c00100;
/** libtpms' TPM2_PT_NV_INDEX_MAX: no NV index may be larger. */
export const NV_INDEX_MAX = 2048;

export interface SimEk {
  alg: EkAlg;
  template: EkTemplate;
  nvIndex: number;
  /** Where swtpm_setup persisted this EK; null when it exists only as a template (L-2 here). */
  persistentHandle: number | null;
  /** Exactly the DER written at nvIndex (padding not included); null when the index is absent. */
  certDer: Uint8Array | null;
  /** The TPM's EK public key, SPKI PEM as tpm2-tools wrote it. */
  publicPem: string;
}

export interface SimTpm {
  /** "swtpm:host=127.0.0.1,port=P", for tpm2-tools and shared/tpm. */
  tcti: string;
  host: string;
  port: number;
  ctrlPort: number;
  pid: number;
  stateDir: string;
  /** This TPM's files: state, logs, the NV contents written. */
  dir: string;
  layout: Layout;
  vendor: Vendor;
  tpmAttributes: TpmAttributes;
  eks: SimEk[];
  /** The intermediates written back to back at EK_CHAIN_NV_INDEX, when `chain` was asked. */
  chain: { nvIndex: number; der: Uint8Array } | null;
  readonly running: boolean;
  stop(): Promise<void>;
}

export interface ManufactureOptions {
  layout: Layout;
  /** Who signs the EK certs. Default "A". */
  vendor?: Vendor;
  defect?: Defect;
  /** Zero bytes after each cert's DER, in a larger NV index (real TPMs do this). */
  nvPadding?: number;
  /** Also write the vendor's intermediate certs (DER, back to back) at 0x01C00100. */
  chain?: boolean;
  /** SAN attributes of the EK certs. Default SWTPM_TPM_ATTRIBUTES. */
  tpm?: TpmAttributes;
}

interface EkSlot {
  alg: EkAlg;
  template: EkTemplate;
  nvIndex: number;
  persistentHandle: number | null;
}

const RSA_L1: EkSlot = { alg: "rsa2048", template: "L-1", nvIndex: 0x01c00002, persistentHandle: 0x81010001 };
const ECC_H3: EkSlot = {
  alg: "ecc-p384",
  template: "H-3",
  nvIndex: 0x01c00016,
  persistentHandle: 0x81010016,
};
const ECC_L2: EkSlot = { alg: "ecc-p256", template: "L-2", nvIndex: 0x01c0000a, persistentHandle: null };

export const LAYOUTS: Record<Layout, readonly EkSlot[]> = {
  nuvoton: [RSA_L1, ECC_H3],
  infineon: [RSA_L1, ECC_L2],
};

/**
 * Manufacture a TPM and leave it running. The caller must stop() it (fixture.ts does).
 * Its files go in a fresh directory under `parentDir` (default: the run directory's tpms/).
 * `pki` may still be in the making: swtpm_setup does not need it, so the two overlap.
 */
export async function manufactureTpm(
  pki: TestPki | Promise<TestPki>,
  opts: ManufactureOptions,
  parentDir = join(runDir(), "tpms"),
): Promise<SimTpm> {
  const vendor = opts.vendor ?? "A";
  const padding = opts.nvPadding ?? 0;
  if (!Number.isInteger(padding) || padding < 0)
    throw new RangeError(`nvPadding must be >= 0, got ${padding}`);
  const tpmsDir = parentDir;
  await mkdir(tpmsDir, { recursive: true });
  const dir = await mkdtemp(join(tpmsDir, `${opts.layout}-${vendor}-`));
  const stateDir = join(dir, "state");
  await swtpmSetup(stateDir, join(dir, "swtpm_setup.log"));
  const sw = await startSwtpm(stateDir, { logFile: join(dir, "swtpm.log") });
  try {
    return await shape(await pki, sw, dir, { ...opts, vendor, nvPadding: padding });
  } catch (e) {
    await sw.stop();
    throw e;
  }
}

async function shape(
  pki: TestPki,
  sw: SwtpmProcess,
  dir: string,
  opts: ManufactureOptions & { vendor: Vendor; nvPadding: number },
): Promise<SimTpm> {
  const { tcti } = sw;
  const tpmAttributes = opts.tpm ?? SWTPM_TPM_ATTRIBUTES;
  const slots = LAYOUTS[opts.layout];
  if (opts.layout === "infineon") await toInfineon(tcti, dir);
  const defined = new Set(await nvIndices(tcti));

  const eks: SimEk[] = [];
  for (const slot of slots) {
    const publicPem =
      slot.persistentHandle !== null
        ? await readPublicPem(tcti, slot.persistentHandle)
        : await readFile(join(dir, `ek-${slot.alg}.pem`), "utf8");
    const keyType = slot.alg === "rsa2048" ? "rsa" : "ecc";
    if (defined.has(slot.nvIndex)) await nvUndefine(tcti, slot.nvIndex);
    let certDer: Uint8Array | null = null;
    if (opts.defect !== `missing-${keyType}-cert`) {
      const issuer = ekIssuer(pki, opts.vendor, keyType);
      const ekPublicKey =
        opts.defect === `foreign-${keyType}-cert`
          ? await foreignPublicKey(keyType, slot.alg === "ecc-p384" ? "P-384" : "P-256")
          : publicPem;
      certDer = await issueEkCert({ issuer, ekPublicKey, tpm: tpmAttributes });
      await nvDefineAndWrite(tcti, dir, slot.nvIndex, certDer, opts.nvPadding);
    }
    eks.push({ ...slot, certDer, publicPem });
  }

  let chain: SimTpm["chain"] = null;
  const intermediates = vendorIntermediates(pki, opts.vendor);
  if (opts.chain && intermediates.length > 0) {
    const der = new Uint8Array(Buffer.concat(intermediates.map((ca) => ca.certDer)));
    await nvDefineAndWrite(tcti, dir, EK_CHAIN_NV_INDEX, der, 0);
    chain = { nvIndex: EK_CHAIN_NV_INDEX, der };
  }

  return {
    tcti,
    host: sw.host,
    port: sw.port,
    ctrlPort: sw.ctrlPort,
    pid: sw.pid,
    stateDir: sw.stateDir,
    dir,
    layout: opts.layout,
    vendor: opts.vendor,
    tpmAttributes,
    eks,
    chain,
    get running() {
      return sw.running;
    },
    stop: () => sw.stop(),
  };
}

/**
 * From swtpm's (Nuvoton-like) layout to the Infineon-like one: drop the P-384 cert index and
 * persistent EK, and create the low-range P-256 EK (L-2) so its public key can be certified.
 */
async function toInfineon(tcti: string, dir: string): Promise<void> {
  await nvUndefine(tcti, ECC_H3.nvIndex);
  await tpm2(tcti, "tpm2_evictcontrol", ["-C", "o", "-c", hex(ECC_H3.persistentHandle ?? 0)]);
  // tpm2_createek's default "ecc" is the L-2 template (NIST P-256, AES-128, PolicyA). It leaves
  // the key loaded; its -c file is an ESYS_TR that tpm2_flushcontext cannot read back, so flush
  // all transients (nobody else uses this TPM yet) rather than that one handle.
  await tpm2(tcti, "tpm2_createek", ["-G", "ecc", "-c", "ek-ecc.ctx", "-u", "ek-ecc-p256.pem", "-f", "pem"], {
    cwd: dir,
  });
  await tpm2(tcti, "tpm2_flushcontext", ["-t"]);
}

async function nvUndefine(tcti: string, index: number): Promise<void> {
  await tpm2(tcti, "tpm2_nvundefine", ["-C", "p", hex(index)]);
}

async function nvDefineAndWrite(
  tcti: string,
  dir: string,
  index: number,
  der: Uint8Array,
  padding: number,
): Promise<void> {
  const size = der.length + padding;
  if (size > NV_INDEX_MAX) {
    throw new RangeError(
      `NV ${hex(index)}: ${der.length} bytes of certificate + ${padding} of padding exceed the TPM's ` +
        `${NV_INDEX_MAX}-byte NV index maximum`,
    );
  }
  const file = join(dir, `nv-${hex(index)}.bin`);
  await writeFile(file, Buffer.concat([der, Buffer.alloc(padding)]));
  await tpm2(tcti, "tpm2_nvdefine", ["-C", "p", "-s", String(size), "-a", EK_CERT_NV_ATTRIBUTES, hex(index)]);
  await tpm2(tcti, "tpm2_nvwrite", ["-C", "p", "-i", file, hex(index)]);
}
