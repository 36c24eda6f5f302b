// captureEvidence (DESIGN §8): everything the cloud needs to recognise one TPM later, read and
// checked on the spot. For each EK certificate in NV, the EK is made from its template (NV
// template and nonce honoured), must be the certificate's key, the certificate must chain to
// the station's CA store, and the TPM must pass a credential activation round trip for that
// EK. Every transient object is flushed on every path (swtpm holds only three).
import { type Certificate, spkiSha256 } from "../../shared/ekcert/index.js";
import { marshal } from "../../shared/tpm/codec/codec.js";
import {
  createEk,
  EK_TEMPLATES,
  type EkTemplate,
  hexHandle,
  readEkCertificates,
  readTpmInfo,
  type Tpm,
} from "../../shared/tpm/index.js";
import { TPM2B_PUBLIC } from "../../shared/tpm/structures/public.js";
import { checkEkPublic, publicAreaToSpki } from "../../shared/tpm/verifier/index.js";
import { activationRoundTrip } from "./activation.js";
import { checkCertificateChain, checkCertificateKey, parseNvCertificate } from "./certificate-checks.js";
import { CaptureError, messageOf } from "./errors.js";
import type { CapturedEk, CapturedTpm, CaptureOptions } from "./types.js";

const CHAIN_RANGE = "NV 0x01C00100–0x01C001FF";

/**
 * Reads and checks one TPM. Throws CaptureError (see its codes) on the first problem; nothing
 * partial is returned. The TPM is left as found: no transient handles, nothing written.
 */
export async function captureEvidence(tpm: Tpm, options: CaptureOptions): Promise<CapturedTpm> {
  try {
    return await capture(tpm, options);
  } catch (e) {
    const error =
      e instanceof CaptureError
        ? e
        : new CaptureError(
            "CAPTURE_TPM_ERROR",
            `reading the TPM failed: ${messageOf(e)}. Check the TPM connection and retry; if it fails again, set the board aside`,
            { cause: e },
          );
    if (options.label === undefined) throw error;
    throw new CaptureError(error.code, `${options.label}: ${error.message}`, { cause: error.cause });
  }
}

async function capture(tpm: Tpm, options: CaptureOptions): Promise<CapturedTpm> {
  const info = await readTpmInfo(tpm);
  const nv = await readEkCertificates(tpm);
  const chainDer = nv.chain;
  const intermediates = chainDer.map((der, i) =>
    parseNvCertificate(der, `chain certificate ${i + 1} in ${CHAIN_RANGE}`),
  );
  const eks: CapturedEk[] = [];
  if (nv.certs.length === 0) {
    if (!options.allowNoCert) {
      const indices = Object.values(EK_TEMPLATES)
        .map((t) => hexHandle(t.certIndex))
        .join(", ");
      throw new CaptureError(
        "CAPTURE_NO_EK_CERT",
        `no EK certificate in NV (looked at ${indices}): this TPM cannot be recognised by its certificate. Use --allow-no-cert to record the EK hash alone (for TPMs shipped without one, like Intel PTT)`,
      );
    }
    eks.push(await captureEk(tpm, EK_TEMPLATES["L-1"], nv.indices, null, chainDer, options, intermediates));
  }
  for (const cert of nv.certs) {
    const where = `EK certificate at NV ${hexHandle(cert.nvIndex)}`;
    const parsed = parseNvCertificate(cert.der, where);
    eks.push(
      await captureEk(
        tpm,
        cert.template,
        nv.indices,
        { der: cert.der, nvIndex: cert.nvIndex, parsed, where },
        chainDer,
        options,
        intermediates,
      ),
    );
  }
  return {
    tpm: { manufacturer: info.manufacturer, vendor: info.vendor, fw: info.fw, spec: info.spec },
    eks,
  };
}

interface NvCert {
  der: Uint8Array;
  nvIndex: number;
  parsed: Certificate;
  where: string;
}

/** One EK: made from its template, checked against its certificate (if any), activated. */
async function captureEk(
  tpm: Tpm,
  template: EkTemplate,
  definedIndices: Set<number>,
  cert: NvCert | null,
  chain: Uint8Array[],
  options: CaptureOptions,
  intermediates: readonly Certificate[],
): Promise<CapturedEk> {
  const ekWhat = `${template.name} EK`;
  const ek = await createEk(tpm, template.name, { definedIndices });
  return tpm.using(ek.handle, async () => {
    let hash: string;
    try {
      checkEkPublic(ek.public);
      hash = spkiSha256(publicAreaToSpki(ek.public));
    } catch (e) {
      throw new CaptureError(
        "CAPTURE_EK_INVALID",
        `this TPM's ${ekWhat} is not a usable endorsement key (${messageOf(e)}); check the EK template in NV or set the board aside`,
        { cause: e },
      );
    }
    if (cert) {
      checkCertificateKey(cert.parsed, hash, cert.where, ekWhat);
      checkCertificateChain(cert.parsed, cert.where, { store: options.store, intermediates, at: options.at });
    }
    await activationRoundTrip(tpm, ek, `this TPM's ${ekWhat}`);
    return {
      alg: template.alg,
      template: template.name,
      pub: marshal(TPM2B_PUBLIC, ek.public),
      ek_pub_sha256: hash,
      cert: cert ? cert.der : null,
      cert_nv: cert ? cert.nvIndex : null,
      chain: [...chain],
    };
  });
}
