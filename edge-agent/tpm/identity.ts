// The device's identity in its TPM (DESIGN §7, first half of the flow): the EK certificate
// and chain from NV → the EK the certificate speaks of (from the matching template, or a
// configured persistent handle) → a check that the EK is the certificate's key → the AK,
// created once under that EK and kept in the state dir, reloaded on later runs.
import { type Certificate, ekPubSha256, parseCertificate, spkiSha256 } from "../../shared/ekcert/index.js";
import { EK_TEMPLATES, type EkTemplateName } from "../../shared/tpm/ek/templates.js";
import {
  type AkAlg,
  type AkBlob,
  createAk,
  createEk,
  type Ek,
  hexHandle,
  type NvEkCert,
  persistentEk,
  readEkCertificates,
  type Tpm,
} from "../../shared/tpm/index.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import { objectName } from "../../shared/tpm/verifier/name.js";
import { publicAreaToSpki } from "../../shared/tpm/verifier/public-key.js";
import type { AgentConfig, EkAlgChoice } from "../config/config.js";
import { AgentTpmError, messageOf } from "../errors.js";
import { akFileName, readAkFile, writeAkFile } from "../state/ak-file.js";

export interface Identity {
  readonly ekTemplate: EkTemplateName;
  readonly ekCert: NvEkCert;
  /** Chain certificates from NV 0x01C00100–0x01C001FF (DER), for the record. */
  readonly chain: readonly Uint8Array[];
  readonly ekPublic: TpmtPublic;
  readonly ekPubSha256: string;
  /** How the EK was obtained, for the operator: "from its template" or "persistent at 0x81010001". */
  readonly ekOrigin: string;
  readonly ak: AkBlob;
  readonly akName: Uint8Array;
  readonly akFile: string;
  /** True when the AK was made in this run (false: reloaded from the state dir). */
  readonly akCreated: boolean;
}

const isRsa = (c: NvEkCert) => c.template.alg === "rsa2048";

/** The certificate whose EK to use: --ek-alg rsa or ecc, or auto (RSA when the TPM has one, else ECC). */
export function chooseEkCert(certs: readonly NvEkCert[], choice: EkAlgChoice): NvEkCert {
  const rsa = certs.find(isRsa);
  const ecc = certs.find((c) => !isRsa(c));
  const chosen = choice === "rsa" ? rsa : choice === "ecc" ? ecc : (rsa ?? ecc);
  if (chosen) return chosen;
  const looked = Object.values(EK_TEMPLATES)
    .filter((t) => choice === "auto" || (choice === "rsa") === (t.alg === "rsa2048"))
    .map((t) => `${t.name} at ${hexHandle(t.certIndex)}`)
    .join(", ");
  const has =
    certs.length > 0
      ? ` It has: ${certs.map((c) => c.template.name).join(", ")}; choose that family with --ek-alg.`
      : "";
  throw new AgentTpmError(
    "EK_CERT_MISSING",
    `this TPM has no ${choice === "auto" ? "" : `${choice.toUpperCase()} `}EK certificate in NV (looked at ${looked}).${has}`,
  );
}

/** Creates the EK of the template (or uses the configured persistent one); flush it when transient. */
async function openEk(
  tpm: Tpm,
  template: EkTemplateName,
  config: AgentConfig,
  indices?: Set<number>,
): Promise<Ek> {
  if (config.ekHandle !== undefined) return persistentEk(tpm, config.ekHandle, template);
  return createEk(tpm, template, {
    ...(config.endorsementAuth ? { endorsementAuth: config.endorsementAuth } : {}),
    ...(indices ? { definedIndices: indices } : {}),
  });
}

/** Runs `fn` with the EK; a transient EK is flushed afterwards on every path. */
async function withEk<T>(
  tpm: Tpm,
  template: EkTemplateName,
  config: AgentConfig,
  fn: (ek: Ek) => Promise<T>,
  indices?: Set<number>,
): Promise<T> {
  const ek = await openEk(tpm, template, config, indices);
  return ek.transient ? tpm.using(ek.handle, () => fn(ek)) : fn(ek);
}

function parseNvCert(cert: NvEkCert): Certificate {
  try {
    return parseCertificate(cert.der);
  } catch (e) {
    throw new AgentTpmError(
      "EK_CERT_MALFORMED",
      `the EK certificate at NV ${hexHandle(cert.nvIndex)} cannot be read (${messageOf(e)}); the TPM's NV holds no usable certificate`,
    );
  }
}

/** The EK's ek_pub_sha256, after checking it is the key the certificate certifies (DESIGN §3). */
function checkEkMatchesCert(ek: Ek, cert: NvEkCert, parsed: Certificate): string {
  const tpmHash = spkiSha256(publicAreaToSpki(ek.public));
  const certHash = ekPubSha256(parsed);
  if (tpmHash !== certHash) {
    const from =
      ek.source === "persistent"
        ? `the persistent EK at ${hexHandle(ek.handle)}`
        : `the ${cert.template.name} EK this TPM makes`;
    throw new AgentTpmError(
      "EK_CERT_KEY_MISMATCH",
      `the EK certificate at NV ${hexHandle(cert.nvIndex)} certifies another key (${certHash.slice(0, 16)}…) than ${from} (${tpmHash.slice(0, 16)}…): the registrar would refuse it. Check the EK template in NV and the configured EK handle`,
    );
  }
  return tpmHash;
}

/** The AK goes with the EK's family: an RSA AK under an RSA EK, ECC P-256 under ECC. */
const akAlgFor = (cert: NvEkCert): AkAlg => (isRsa(cert) ? "rsa" : "ecc");

/**
 * Everything the registrar needs to know about this TPM, with the AK created (and saved) if the
 * state dir has none for this EK. The TPM is left with no transient object loaded.
 */
export async function prepareIdentity(tpm: Tpm, config: AgentConfig): Promise<Identity> {
  const nv = await readEkCertificates(tpm);
  const cert = chooseEkCert(nv.certs, config.ekAlg);
  const parsed = parseNvCert(cert);
  return withEk(
    tpm,
    cert.template.name,
    config,
    async (ek) => {
      const hash = checkEkMatchesCert(ek, cert, parsed);
      let ak = await readAkFile(config.stateDir, hash);
      const akCreated = ak === undefined;
      if (ak === undefined) {
        ak = await createAk(tpm, ek, akAlgFor(cert), config.endorsementAuth);
        await writeAkFile(config.stateDir, hash, ak);
      }
      return {
        ekTemplate: cert.template.name,
        ekCert: cert,
        chain: nv.chain,
        ekPublic: ek.public,
        ekPubSha256: hash,
        ekOrigin:
          ek.source === "persistent"
            ? `persistent at ${hexHandle(ek.handle)}`
            : `from its ${ek.source === "nv-template" ? "NV " : ""}template`,
        ak,
        akName: objectName(ak.public),
        akFile: akFileName(hash),
        akCreated,
      };
    },
    nv.indices,
  );
}

/**
 * Runs `fn` with the EK an earlier phase used (same template), checked to still be the same
 * key: a TPM cleared in between has new EKs, and its old AK and challenges are worthless.
 */
export async function withSameEk<T>(
  tpm: Tpm,
  config: AgentConfig,
  template: EkTemplateName,
  expectedHash: string,
  fn: (ek: Ek) => Promise<T>,
): Promise<T> {
  return withEk(tpm, template, config, async (ek) => {
    const hash = spkiSha256(publicAreaToSpki(ek.public));
    if (hash !== expectedHash)
      throw new AgentTpmError(
        "EK_CHANGED",
        `this TPM's ${template} EK (${hash.slice(0, 16)}…) is not the one registered (${expectedHash.slice(0, 16)}…): was the TPM cleared? Register again from the start`,
      );
    return fn(ek);
  });
}
