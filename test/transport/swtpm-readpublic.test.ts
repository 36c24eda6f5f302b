// What our stack reads from a real swtpm, byte for byte against tpm2-tools: the TPM2B_PUBLIC that
// `tpm2_readpublic -o` writes, the object Name it writes with -n, and the NV public area that
// `tpm2_nvreadpublic` prints. The two EKs are the ones swtpm_setup persists (RSA-2048 at
// 0x81010001, ECC P-384 at 0x81010016) and the RSA EK certificate index 0x01C00002.
//
// swtpm serves one client at a time: each tpm2-tools run happens while our transport is closed.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { marshal, unmarshal } from "../../shared/tpm/codec/codec.js";
import { NV_ReadPublic, ReadPublic } from "../../shared/tpm/commands/index.js";
import { TPM_ALG } from "../../shared/tpm/constants.js";
import { TPM2B_PUBLIC } from "../../shared/tpm/structures/public.js";
import { Tpm } from "../../shared/tpm/tpm.js";
import { asHandle } from "../../shared/tpm/types.js";
import {
  hex,
  nvReadPublic,
  runDir,
  type SwtpmProcess,
  startSwtpm,
  swtpmSetup,
  tpm2,
  tpm2Text,
} from "../harness/index.js";

let dir: string;
let swtpm: SwtpmProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(runDir(), "readpublic-"));
  await swtpmSetup(join(dir, "state"), join(dir, "setup.log"));
  swtpm = await startSwtpm(join(dir, "state"));
});
afterAll(async () => {
  await swtpm?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs one command through our stack on a fresh connection, closed afterwards. */
async function withTpm<T>(fn: (tpm: Tpm) => Promise<T>): Promise<T> {
  const tpm = await Tpm.open(swtpm.tcti, { timeoutMs: 10_000 });
  try {
    return await fn(tpm);
  } finally {
    await tpm.close();
  }
}

/** `tpm2_readpublic -c <handle> -o pub -n name`: the TPM2B_PUBLIC and the Name, as files. */
async function readPublicFiles(handle: number): Promise<{ pub: Buffer; name: Buffer; text: string }> {
  const pub = join(dir, `${handle.toString(16)}.pub`);
  const name = join(dir, `${handle.toString(16)}.name`);
  const text = await tpm2Text(swtpm.tcti, "tpm2_readpublic", ["-c", hex(handle), "-o", pub, "-n", name]);
  return { pub: await readFile(pub), name: await readFile(name), text };
}

describe.each([
  ["the RSA-2048 EK", 0x81010001],
  ["the ECC P-384 EK", 0x81010016],
])("TPM2_ReadPublic of %s", (_, handle) => {
  it("gives a public area that marshals to the TPM2B_PUBLIC tpm2_readpublic -o wrote", async () => {
    const files = await readPublicFiles(handle);
    const { outPublic } = await withTpm((tpm) => tpm.run(ReadPublic, { objectHandle: asHandle(handle) }));
    expect(Buffer.from(marshal(TPM2B_PUBLIC, outPublic)).toString("hex")).toBe(files.pub.toString("hex"));
  });

  it("decodes tpm2_readpublic's file to the public area the TPM returned", async () => {
    const files = await readPublicFiles(handle);
    const { outPublic } = await withTpm((tpm) => tpm.run(ReadPublic, { objectHandle: asHandle(handle) }));
    expect(unmarshal(TPM2B_PUBLIC, new Uint8Array(files.pub))).toStrictEqual(outPublic);
  });

  it("gives the Name tpm2_readpublic -n wrote", async () => {
    const files = await readPublicFiles(handle);
    const { name } = await withTpm((tpm) => tpm.run(ReadPublic, { objectHandle: asHandle(handle) }));
    expect(Buffer.from(name).toString("hex")).toBe(files.name.toString("hex"));
  });

  it("decodes the key type, policy and key the way tpm2_readpublic prints them", async () => {
    const { text } = await readPublicFiles(handle);
    const { outPublic } = await withTpm((tpm) => tpm.run(ReadPublic, { objectHandle: asHandle(handle) }));
    const field = (re: RegExp) => re.exec(text)?.[1];
    expect(outPublic.type).toBe(Number(field(/^type:\s*\n\s*value: \w+\s*\n\s*raw: (0x[0-9a-f]+)/m)));
    expect(outPublic.nameAlg).toBe(Number(field(/^name-alg:\s*\n\s*value: \w+\s*\n\s*raw: (0x[0-9a-f]+)/m)));
    expect(outPublic.objectAttributes).toBe(
      Number(field(/^attributes:\s*\n\s*value: [\w|]+\s*\n\s*raw: (0x[0-9a-f]+)/m)),
    );
    expect(Buffer.from(outPublic.authPolicy).toString("hex")).toBe(
      field(/^authorization policy: ([0-9a-f]*)$/m),
    );
    if (outPublic.type === TPM_ALG.RSA) {
      expect(outPublic.parameters.keyBits).toBe(Number(field(/^bits: (\d+)$/m)));
      expect(Buffer.from(outPublic.unique).toString("hex")).toBe(field(/^rsa: ([0-9a-f]+)$/m));
    } else if (outPublic.type === TPM_ALG.ECC) {
      expect(Buffer.from(outPublic.unique.x).toString("hex")).toBe(field(/^x: ([0-9a-f]+)$/m));
      expect(Buffer.from(outPublic.unique.y).toString("hex")).toBe(field(/^y: ([0-9a-f]+)$/m));
    } else {
      throw new Error(`unexpected EK type ${outPublic.type}`);
    }
  });
});

describe("TPM2_NV_ReadPublic of the RSA EK certificate index 0x01C00002", () => {
  it("gives the attributes and size tpm2_nvreadpublic prints", async () => {
    const expected = await nvReadPublic(swtpm.tcti, 0x01c00002);
    const { nvPublic } = await withTpm((tpm) => tpm.run(NV_ReadPublic, { nvIndex: asHandle(0x01c00002) }));
    expect(nvPublic).toMatchObject({
      nvIndex: 0x01c00002,
      attributes: expected.attributes,
      dataSize: expected.size,
    });
  });

  it("gives the Name tpm2_nvreadpublic prints", async () => {
    const text = (await tpm2(swtpm.tcti, "tpm2_nvreadpublic", [hex(0x01c00002)])).toString();
    const { nvName } = await withTpm((tpm) => tpm.run(NV_ReadPublic, { nvIndex: asHandle(0x01c00002) }));
    expect(Buffer.from(nvName).toString("hex")).toBe(/^\s*name: ([0-9a-f]+)$/m.exec(text)?.[1]);
  });
});
