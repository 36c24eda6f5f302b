// Quotes, us → tpm2-tools: a quote our client makes verifies with tpm2_checkquote, and
// tpm2_checkquote rejects it once the nonce, a PCR value or a signature bit is changed.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createAk, loadAk } from "../../shared/tpm/ak/ak.js";
import type { AkAlg } from "../../shared/tpm/ak/templates.js";
import { marshal } from "../../shared/tpm/codec/codec.js";
import { TPM_ALG } from "../../shared/tpm/constants.js";
import { createEk } from "../../shared/tpm/ek/create-ek.js";
import { readPcrs, selectPcrs } from "../../shared/tpm/pcr.js";
import { quote } from "../../shared/tpm/quote.js";
import { TPM2B_PUBLIC } from "../../shared/tpm/structures/public.js";
import { TPMT_SIGNATURE } from "../../shared/tpm/structures/signature.js";
import { Tpm } from "../../shared/tpm/tpm.js";
import {
  CommandError,
  expectNoTransientHandles,
  run,
  runDir,
  type SimTpm,
  tpm2,
  useFleet,
} from "../harness/index.js";

const fleet = useFleet();
const PCRS = [0, 7, 16];

interface QuoteFiles {
  dir: string;
  nonce: Buffer;
  pcrValues: Buffer;
  signature: Buffer;
}

/** Our quote, written in the files tpm2_checkquote reads. */
async function ourQuote(sim: SimTpm, akAlg: AkAlg): Promise<QuoteFiles> {
  const dir = await mkdtemp(join(runDir(), "quote-"));
  const nonce = randomBytes(20);
  const tpm = await Tpm.open(sim.tcti, { timeoutMs: 30_000 });
  try {
    const ek = await createEk(tpm, "L-1");
    await tpm.using(ek.handle, async () => {
      const ak = await loadAk(tpm, ek, await createAk(tpm, ek, akAlg));
      await tpm.using(ak.handle, async () => {
        const q = await quote(tpm, ak, nonce, [selectPcrs(TPM_ALG.SHA256, PCRS)]);
        const values = await readPcrs(tpm, TPM_ALG.SHA256, PCRS);
        await writeFile(join(dir, "ak.pub"), marshal(TPM2B_PUBLIC, ak.public));
        await writeFile(join(dir, "quote.msg"), q.quoted);
        await writeFile(join(dir, "quote.sig"), marshal(TPMT_SIGNATURE, q.signature));
        await writeFile(
          join(dir, "pcrs.bin"),
          Buffer.concat(PCRS.map((i) => values.get(i) ?? new Uint8Array())),
        );
      });
    });
  } finally {
    await tpm.close();
  }
  return {
    dir,
    nonce,
    pcrValues: await readFile(join(dir, "pcrs.bin")),
    signature: await readFile(join(dir, "quote.sig")),
  };
}

/** tpm2_checkquote on the files; resolves true when it accepts. */
async function checkquote(
  files: QuoteFiles,
  overrides: { nonce?: Buffer; pcrs?: Buffer; sig?: Buffer } = {},
) {
  await writeFile(join(files.dir, "check.pcrs"), overrides.pcrs ?? files.pcrValues);
  await writeFile(join(files.dir, "check.sig"), overrides.sig ?? files.signature);
  const args = ["-u", "ak.pub", "-m", "quote.msg", "-s", "check.sig", "-g", "sha256"];
  args.push(
    "-f",
    "check.pcrs",
    "-l",
    `sha256:${PCRS.join(",")}`,
    "-q",
    (overrides.nonce ?? files.nonce).toString("hex"),
  );
  try {
    await run("tpm2_checkquote", args, { cwd: files.dir });
    return true;
  } catch (err) {
    if (err instanceof CommandError) return false;
    throw err;
  }
}

describe.each(["rsa", "ecc"] as const)("a quote by our client with an %s AK", (akAlg) => {
  let sim: SimTpm;
  let files: QuoteFiles;
  beforeAll(async () => {
    sim = await fleet.manufacture({ layout: "infineon" });
    // A PCR that is not all zeros, so a changed value is a real change.
    await tpm2(sim.tcti, "tpm2_pcrextend", [`16:sha256=${randomBytes(32).toString("hex")}`]);
    files = await ourQuote(sim, akAlg);
  });

  it("verifies with tpm2_checkquote", async () => {
    expect(await checkquote(files)).toBe(true);
    await expectNoTransientHandles(sim);
  });

  it("fails tpm2_checkquote with another nonce", async () => {
    const nonce = Buffer.from(files.nonce);
    nonce[0] = (nonce[0] ?? 0) ^ 0xff;
    expect(await checkquote(files, { nonce })).toBe(false);
  });

  it("fails tpm2_checkquote with a changed PCR value", async () => {
    const pcrs = Buffer.from(files.pcrValues);
    pcrs[pcrs.length - 1] = (pcrs[pcrs.length - 1] ?? 0) ^ 0x01;
    expect(await checkquote(files, { pcrs })).toBe(false);
  });

  it("fails tpm2_checkquote with one signature bit flipped", async () => {
    const sig = Buffer.from(files.signature);
    sig[sig.length - 5] = (sig[sig.length - 5] ?? 0) ^ 0x10;
    expect(await checkquote(files, { sig })).toBe(false);
  });
});
