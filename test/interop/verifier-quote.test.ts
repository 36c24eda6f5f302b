// Our quote verifier against quotes tpm2_quote makes on swtpm with AKs tpm2_createak made
// (RSASSA, RSAPSS, ECDSA): each verifies with the PCR values tpm2_quote itself wrote, and a
// changed nonce, a changed PCR value or a flipped signature bit each fail with their own code.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { TPM_ALG, TPM_ST } from "../../shared/tpm/constants.js";
import {
  type PcrValues,
  parsePublicArea,
  parseSignature,
  type TpmVerifierError,
  type VerifyQuoteInput,
  verifyQuote,
} from "../../shared/tpm/verifier/index.js";
import { expectNoTransientHandles, runDir, type SimTpm, tpm2Text, useFleet } from "../harness/index.js";

const fleet = useFleet();
let sim: SimTpm;
let root: string;

/** One tpm2-tools step, then flush what it left loaded (no resource manager; swtpm holds 3 objects). */
async function tool(dir: string, name: string, args: string[]): Promise<string> {
  try {
    return await tpm2Text(sim.tcti, name, args, { cwd: dir });
  } finally {
    await tpm2Text(sim.tcti, "tpm2_flushcontext", ["-t"], { cwd: dir });
  }
}

// The harness's TPMs have only the SHA-256 bank allocated (swtpm_setup active_pcr_banks);
// tpm2_quote -F values writes the values in selection order. (Two banks, SHA-256 + SHA-1, are
// covered by the unit test's tpm2_quote fixture.)
const SELECTION = [{ bank: "sha256", alg: TPM_ALG.SHA256, size: 32, pcrs: [0, 7, 16, 23] }];
const PCR_LIST = SELECTION.map((s) => `${s.bank}:${s.pcrs.join(",")}`).join("+");

beforeAll(async () => {
  sim = await fleet.manufacture({ layout: "infineon" });
  root = await mkdtemp(join(runDir(), "verifier-quote-"));
  // Give PCR 16 a value that is not all zeros.
  const ext = `16:sha256=${randomBytes(32).toString("hex")}`;
  await tool(root, "tpm2_pcrextend", [ext]);
  await tool(root, "tpm2_createek", ["-G", "rsa", "-c", "ek.ctx", "-u", "ek.pub"]);
});

afterEach(async () => {
  await expectNoTransientHandles(sim);
});

const words = (s: string): string[] => s.split(" ");

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as TpmVerifierError).code ?? String(e);
  }
  return "ok";
};

describe.each([
  { ak: "an RSASSA-SHA256 AK", scheme: "rsassa", g: "rsa", sigAlg: TPM_ALG.RSASSA },
  { ak: "an RSAPSS-SHA256 AK", scheme: "rsapss", g: "rsa", sigAlg: TPM_ALG.RSAPSS },
  { ak: "an ECDSA-P256-SHA256 AK", scheme: "ecdsa", g: "ecc", sigAlg: TPM_ALG.ECDSA },
])("a tpm2_quote by $ak", ({ scheme, g, sigAlg }) => {
  let input: VerifyQuoteInput;
  /** The TPMT_SIGNATURE file tpm2_quote -s wrote. */
  let sigFile: Buffer;

  beforeAll(async () => {
    const dir = await mkdtemp(join(root, "ak-"));
    const ek = join(root, "ek.ctx");
    await tool(dir, "tpm2_createak", [
      ...words(`-C ${ek} -c ak.ctx -G ${g} -g sha256 -s ${scheme} -u ak.pub`),
    ]);
    const nonce = randomBytes(16);
    // tpm2_quote asks for RSASSA with an RSA key unless --scheme says otherwise.
    const files = "-m quote.msg -s quote.sig -o quote.pcrs -F values";
    await tool(dir, "tpm2_quote", [
      ...words(`-c ak.ctx -g sha256 --scheme ${scheme} -q ${nonce.toString("hex")} ${files}`),
      ...["-l", PCR_LIST],
    ]);
    // The PCR values, as tpm2_quote wrote them: concatenated in selection order.
    const values = await readFile(join(dir, "quote.pcrs"));
    const pcrs = new Map<number, Map<number, Uint8Array>>();
    let at = 0;
    for (const s of SELECTION) {
      const bank = new Map<number, Uint8Array>();
      for (const i of s.pcrs) {
        bank.set(i, new Uint8Array(values.subarray(at, at + s.size)));
        at += s.size;
      }
      pcrs.set(s.alg, bank);
    }
    expect(at).toBe(values.length);
    sigFile = await readFile(join(dir, "quote.sig"));
    input = {
      akPublic: parsePublicArea(await readFile(join(dir, "ak.pub"))),
      quoted: new Uint8Array(await readFile(join(dir, "quote.msg"))),
      signature: parseSignature(sigFile),
      nonce,
      pcrs,
    };
    expect(input.signature.sigAlg).toBe(sigAlg);
  });

  it("verifies, covering the PCRs it was asked for", () => {
    const v = verifyQuote(input);
    expect(v.attest.type).toBe(TPM_ST.ATTEST_QUOTE);
    expect(v.selection).toEqual(SELECTION.map((s) => ({ hashAlg: s.alg, pcrs: s.pcrs })));
  });

  it("fails for a changed nonce", () => {
    const nonce = Buffer.from(input.nonce);
    nonce[0] = (nonce[0] as number) ^ 0x80;
    expect(codeOf(() => verifyQuote({ ...input, nonce }))).toBe("QUOTE_NONCE_MISMATCH");
  });

  it("fails for a changed PCR value", () => {
    const pcrs = input.pcrs as Map<number, Map<number, Uint8Array>>;
    const sha256 = new Map(pcrs.get(TPM_ALG.SHA256));
    const v = Uint8Array.from(sha256.get(16) as Uint8Array);
    v[0] = (v[0] as number) ^ 1;
    sha256.set(16, v);
    const changed: PcrValues = new Map([...pcrs, [TPM_ALG.SHA256, sha256]]);
    expect(codeOf(() => verifyQuote({ ...input, pcrs: changed }))).toBe("QUOTE_PCR_DIGEST_MISMATCH");
  });

  it("fails for a flipped signature bit", () => {
    // A bit near the end: inside the RSA signature, or inside ECDSA's s.
    const bytes = Uint8Array.from(sigFile);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] as number) ^ 0x10;
    const flipped = parseSignature(bytes);
    expect(codeOf(() => verifyQuote({ ...input, signature: flipped }))).toBe("SIGNATURE_INVALID");
  });
});
