// The AK, kept between runs (DESIGN §7): TPM2_Create's outPrivate (wrapped by the EK, useless
// outside this TPM) and outPublic, so later runs load the same AK instead of making a new one
// and the registrar sees the same aik_tpm. One file per EK, named by the EK's hash: an AK
// loads only under the EK it was created under.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { marshal, unmarshal } from "../../shared/tpm/codec/codec.js";
import type { AkAlg, AkBlob } from "../../shared/tpm/index.js";
import { TPM2B_PUBLIC } from "../../shared/tpm/structures/public.js";
import { messageOf, StateError } from "../errors.js";
import { writeFileAtomic } from "./atomic-file.js";

interface AkFileJson {
  v: 1;
  alg: AkAlg;
  ek_pub_sha256: string;
  /** base64 TPM2B_PUBLIC. */
  public: string;
  /** base64 TPM2B_PRIVATE contents. */
  private: string;
  created_at: string;
}

export const akFileName = (ekPubSha256: string): string => `ak-${ekPubSha256.slice(0, 16)}.json`;

/** The AK kept for this EK, or undefined when there is none yet. */
export async function readAkFile(stateDir: string, ekPubSha256: string): Promise<AkBlob | undefined> {
  const path = join(stateDir, akFileName(ekPubSha256));
  let json: AkFileJson;
  try {
    json = JSON.parse(await readFile(path, "utf8")) as AkFileJson;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateError(
      "AK_FILE_UNREADABLE",
      `cannot read the AK file ${path}: ${messageOf(e)}; remove it to make a new AK`,
    );
  }
  if (json.v !== 1 || json.ek_pub_sha256 !== ekPubSha256 || (json.alg !== "rsa" && json.alg !== "ecc"))
    throw new StateError(
      "AK_FILE_UNREADABLE",
      `the AK file ${path} is not an AK of this EK (${ekPubSha256.slice(0, 16)}…); remove it to make a new AK`,
    );
  try {
    return {
      alg: json.alg,
      public: unmarshal(TPM2B_PUBLIC, new Uint8Array(Buffer.from(json.public, "base64"))),
      private: new Uint8Array(Buffer.from(json.private, "base64")),
    };
  } catch (e) {
    throw new StateError(
      "AK_FILE_UNREADABLE",
      `the AK file ${path} is damaged (${messageOf(e)}); remove it to make a new AK`,
    );
  }
}

export async function writeAkFile(stateDir: string, ekPubSha256: string, ak: AkBlob): Promise<string> {
  const name = akFileName(ekPubSha256);
  const json: AkFileJson = {
    v: 1,
    alg: ak.alg,
    ek_pub_sha256: ekPubSha256,
    public: Buffer.from(marshal(TPM2B_PUBLIC, ak.public)).toString("base64"),
    private: Buffer.from(ak.private).toString("base64"),
    created_at: new Date().toISOString(),
  };
  try {
    await writeFileAtomic(join(stateDir, name), `${JSON.stringify(json, null, 2)}\n`);
  } catch (e) {
    throw new StateError("STATE_UNWRITABLE", `cannot write the AK file in ${stateDir}: ${messageOf(e)}`);
  }
  return name;
}
