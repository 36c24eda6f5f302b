// Our verifier against tpm2-tools on swtpm: Names of EKs and AKs equal what tpm2_readpublic
// prints, public keys equal what it exports, tpm2_makecredential's file is the blob layout we
// decode, and a credential we make is recovered by tpm2_activatecredential, for an RSA-2048
// (L-1), a P-256 (L-2) and a P-384 (H-3, high-range policy) EK. Only tpm2-tools touch the TPM.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  checkAkPublic,
  checkEkPublic,
  decodeCredentialBlob,
  encodeCredentialBlob,
  makeCredential,
  objectName,
  parsePublicArea,
  publicAreaToSpki,
} from "../../shared/tpm/verifier/index.js";
import {
  CommandError,
  expectNoTransientHandles,
  run,
  runDir,
  type SimTpm,
  tpm2Text,
  useFleet,
} from "../harness/index.js";

const fleet = useFleet();
let sim: SimTpm;
let root: string;

beforeAll(async () => {
  sim = await fleet.manufacture({ layout: "infineon" });
  root = await mkdtemp(join(runDir(), "verifier-credential-"));
});

afterEach(async () => {
  await expectNoTransientHandles(sim);
});

/**
 * One tpm2-tools step. Without a resource manager the tools leave the objects they load
 * (EK, AK) in the TPM, and swtpm holds only 3: flush transient objects after every step.
 */
async function tool(dir: string, name: string, args: string[]): Promise<string> {
  try {
    return await tpm2Text(sim.tcti, name, args, { cwd: dir });
  } finally {
    await tpm2Text(sim.tcti, "tpm2_flushcontext", ["-t"], { cwd: dir });
  }
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// TCG EK Credential Profile: PolicyA and PolicyC in SHA-384, for the H-3 EK (DESIGN §3).
const POLICY_A_SHA384 =
  "8bbf2266537c171cb56e403c4dc1d4b64f432611dc386e6f532050c3278c930e143e8bb1133824ccb431053871c6db53";
const POLICY_C_SHA384 =
  "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5b4947c2d73e63005eed2dc2b3593d165";

/**
 * tpm2_activatecredential through the EK's policy: PolicySecret(endorsement) in the EK's name
 * hash, then for a high-range EK PolicyOR(PolicyA, PolicyC). Resolves to the recovered
 * credential; the session is flushed on every path.
 */
async function toolsActivate(dir: string, blobFile: string, high: boolean): Promise<Buffer> {
  const session = join(dir, "session.ctx");
  await tool(dir, "tpm2_startauthsession", [
    "--policy-session",
    "-g",
    high ? "sha384" : "sha256",
    "-S",
    session,
  ]);
  try {
    await tool(dir, "tpm2_policysecret", ["-S", session, "-c", "e"]);
    if (high) {
      await writeFile(join(dir, "policyA.bin"), Buffer.from(POLICY_A_SHA384, "hex"));
      await writeFile(join(dir, "policyC.bin"), Buffer.from(POLICY_C_SHA384, "hex"));
      await tool(dir, "tpm2_policyor", ["-S", session, "-l", "sha384:policyA.bin,policyC.bin"]);
    }
    const out = join(dir, "recovered.bin");
    const args = `-c ak.ctx -C ek.ctx -i ${blobFile} -o ${out} -P session:${session}`;
    await tool(dir, "tpm2_activatecredential", args.split(" "));
    return await readFile(out);
  } finally {
    await tool(dir, "tpm2_flushcontext", [session]).catch(() => {});
  }
}

describe.each([
  { ek: "an RSA-2048 EK (L-1)", g: "rsa", ak: ["-G", "rsa", "-g", "sha256", "-s", "rsassa"], high: false },
  { ek: "a P-256 EK (L-2)", g: "ecc", ak: ["-G", "ecc", "-g", "sha256", "-s", "ecdsa"], high: false },
  { ek: "a P-384 EK (H-3)", g: "ecc384", ak: ["-G", "ecc", "-g", "sha256", "-s", "ecdsa"], high: true },
])("with $ek", ({ g, ak, high }) => {
  let dir: string;
  let ekPub: Uint8Array;
  let akPub: Uint8Array;

  beforeAll(async () => {
    dir = await mkdtemp(join(root, `${g}-`));
    await tool(dir, "tpm2_createek", ["-G", g, "-c", "ek.ctx", "-u", "ek.pub"]);
    await tool(dir, "tpm2_createak", [
      "-C",
      "ek.ctx",
      "-c",
      "ak.ctx",
      ...ak,
      "-u",
      "ak.pub",
      "-n",
      "ak.name",
    ]);
    ekPub = new Uint8Array(await readFile(join(dir, "ek.pub")));
    akPub = new Uint8Array(await readFile(join(dir, "ak.pub")));
    await expectNoTransientHandles(sim);
  });

  it("computes the EK's Name as tpm2_readpublic prints and writes it", async () => {
    const text = await tool(dir, "tpm2_readpublic", ["-c", "ek.ctx", "-n", "ek.name"]);
    const ours = hex(objectName(parsePublicArea(ekPub)));
    expect(ours).toBe(/^name: ([0-9a-f]+)$/m.exec(text)?.[1]);
    expect(ours).toBe(hex(await readFile(join(dir, "ek.name"))));
  });

  it("computes the AK's Name as tpm2_readpublic prints it and tpm2_createak wrote it", async () => {
    const text = await tool(dir, "tpm2_readpublic", ["-c", "ak.ctx"]);
    const ours = hex(objectName(parsePublicArea(akPub)));
    expect(ours).toBe(/^name: ([0-9a-f]+)$/m.exec(text)?.[1]);
    expect(ours).toBe(hex(await readFile(join(dir, "ak.name"))));
  });

  it("exports the EK and AK public keys as the SPKI tpm2_readpublic -f der writes", async () => {
    await tool(dir, "tpm2_readpublic", ["-c", "ek.ctx", "-f", "der", "-o", "ek.der"]);
    await tool(dir, "tpm2_readpublic", ["-c", "ak.ctx", "-f", "der", "-o", "ak.der"]);
    expect(hex(publicAreaToSpki(parsePublicArea(ekPub)))).toBe(hex(await readFile(join(dir, "ek.der"))));
    expect(hex(publicAreaToSpki(parsePublicArea(akPub)))).toBe(hex(await readFile(join(dir, "ak.der"))));
  });

  it("accepts the tools' EK and AK under the EK and AK attribute checks", () => {
    expect(() => checkEkPublic(parsePublicArea(ekPub))).not.toThrow();
    expect(() => checkAkPublic(parsePublicArea(akPub))).not.toThrow();
  });

  it("decodes tpm2_makecredential's file and encodes it back byte for byte", async () => {
    await writeFile(join(dir, "secret.bin"), randomBytes(32));
    const name = hex(await readFile(join(dir, "ak.name")));
    await run(
      "tpm2_makecredential",
      ["-T", "none", "-u", "ek.pub", "-s", "secret.bin", "-n", name, "-o", "tools.blob"],
      {
        cwd: dir,
      },
    );
    const file = new Uint8Array(await readFile(join(dir, "tools.blob")));
    expect(hex(encodeCredentialBlob(decodeCredentialBlob(file)))).toBe(hex(file));
  });

  it("makes a credential that tpm2_activatecredential recovers", async () => {
    const credential = new Uint8Array(randomBytes(32));
    const blob = makeCredential({
      ekPublic: parsePublicArea(ekPub),
      akName: objectName(parsePublicArea(akPub)),
      credential,
    });
    await writeFile(join(dir, "ours.blob"), encodeCredentialBlob(blob));
    expect(hex(await toolsActivate(dir, "ours.blob", high))).toBe(hex(credential));
  });

  it("makes a credential for another AK that tpm2_activatecredential refuses", async () => {
    const otherName = objectName(parsePublicArea(akPub));
    otherName[otherName.length - 1] = (otherName.at(-1) ?? 0) ^ 1;
    const blob = makeCredential({
      ekPublic: parsePublicArea(ekPub),
      akName: otherName,
      credential: new Uint8Array(32),
    });
    await writeFile(join(dir, "other.blob"), encodeCredentialBlob(blob));
    const err = await toolsActivate(dir, "other.blob", high).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).stderr).toMatch(/integrity/i);
  });
});
