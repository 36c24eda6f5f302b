// A software TPM for registrar tests and the registration load generator: an RSA-2048 EK in
// the L-1 template with an EK certificate from a test CA, an RSA AK in tpm2_createak's shape,
// and TPM2_ActivateCredential done in software (TPM 2.0 Part 1 §24) with node:crypto alone, so
// it checks the registrar's MakeCredential rather than sharing its code. The real flow on a
// swtpm with tpm2-tools is in test/registrar/agent-keylime-protocol.test.ts.
import {
  createDecipheriv,
  createHash,
  createHmac,
  generateKeyPair,
  type KeyObject,
  constants as nodeConstants,
  privateDecrypt,
} from "node:crypto";
import { promisify } from "node:util";
import { TPM_ALG, TPMA_OBJECT } from "../../shared/tpm/constants.js";
import { EK_TEMPLATES } from "../../shared/tpm/ek/templates.js";
import type { TpmtPublic } from "../../shared/tpm/structures/public.js";
import {
  decodeCredentialBlob,
  encodePublicArea,
  keyObjectToPublicFields,
  objectName,
} from "../../shared/tpm/verifier/index.js";
import { issueEkCert } from "./ek-cert.js";
import type { TestCa } from "./pki.js";

export interface SoftTpm {
  ekPrivate: KeyObject;
  ekPublicKey: KeyObject;
  /** TPM2B_PUBLIC of the EK. */
  ekTpm: Uint8Array;
  /** TPM2B_PUBLIC of the AK. */
  aikTpm: Uint8Array;
  akName: Uint8Array;
  /** DER EK certificate. */
  certDer: Uint8Array;
  /** SHA-256 of the EK's SPKI, hex, computed by node:crypto (not by the code under test). */
  ekPubSha256: string;
}

const genRsa = promisify(generateKeyPair);
const rsaKey = () => genRsa("rsa", { modulusLength: 2048 });

function rsaPublicArea(key: KeyObject, template: TpmtPublic): TpmtPublic {
  const f = keyObjectToPublicFields(key);
  if (f.type !== TPM_ALG.RSA || template.type !== TPM_ALG.RSA) throw new Error("expected RSA");
  return { ...template, parameters: { ...template.parameters, exponent: f.exponent }, unique: f.unique };
}

/** tpm2_createak -G rsa -s rsassa -g sha256: a restricted signing key. */
export const SOFT_AK_TEMPLATE: TpmtPublic = {
  type: TPM_ALG.RSA,
  nameAlg: TPM_ALG.SHA256,
  objectAttributes:
    TPMA_OBJECT.fixedTPM |
    TPMA_OBJECT.fixedParent |
    TPMA_OBJECT.sensitiveDataOrigin |
    TPMA_OBJECT.userWithAuth |
    TPMA_OBJECT.restricted |
    TPMA_OBJECT.sign,
  authPolicy: new Uint8Array(),
  parameters: {
    symmetric: { algorithm: TPM_ALG.NULL },
    scheme: { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA256 },
    keyBits: 2048,
    exponent: 0,
  },
  unique: new Uint8Array(),
};

/** An AK public (any attributes, e.g. `decrypt` set to test a refusal). */
export async function softAk(objectAttributes = SOFT_AK_TEMPLATE.objectAttributes, key?: KeyObject) {
  const publicKey = key ?? (await rsaKey()).publicKey;
  const pub = rsaPublicArea(publicKey, { ...SOFT_AK_TEMPLATE, objectAttributes });
  return { aikTpm: encodePublicArea(pub), akName: objectName(pub) };
}

export interface SoftTpmOptions {
  /** The CA that signs the EK certificate. */
  issuer: TestCa;
  akAttributes?: number;
  /** Reuse these RSA-2048 keys instead of generating them (the load generator caches them). */
  keys?: { ekPrivate: KeyObject; ekPublicKey: KeyObject; akPublicKey?: KeyObject };
}

export async function softTpm(opts: SoftTpmOptions): Promise<SoftTpm> {
  const [ek, ak] = await Promise.all([
    opts.keys ? { privateKey: opts.keys.ekPrivate, publicKey: opts.keys.ekPublicKey } : rsaKey(),
    softAk(opts.akAttributes, opts.keys?.akPublicKey),
  ]);
  const spki = ek.publicKey.export({ format: "der", type: "spki" });
  return {
    ekPrivate: ek.privateKey,
    ekPublicKey: ek.publicKey,
    ekTpm: encodePublicArea(rsaPublicArea(ek.publicKey, EK_TEMPLATES["L-1"].public)),
    ...ak,
    certDer: await issueEkCert({ issuer: opts.issuer, ekPublicKey: new Uint8Array(spki) }),
    ekPubSha256: createHash("sha256").update(spki).digest("hex"),
  };
}

/**
 * TPM2_ActivateCredential in software for an RSA-2048 L-1 EK (Part 1 §24): OAEP-decrypt the
 * seed, check the outer HMAC over encIdentity ‖ AK name, AES-128-CFB-decrypt the TPM2B.
 * Returns the credential (keylime's challenge) as text.
 */
export function softActivate(tpm: Pick<SoftTpm, "ekPrivate" | "akName">, blob: Uint8Array): string {
  const { credentialBlob, secret } = decodeCredentialBlob(blob);
  const seed = privateDecrypt(
    {
      key: tpm.ekPrivate,
      padding: nodeConstants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: "sha256",
      oaepLabel: Buffer.from("IDENTITY\0"),
    },
    secret,
  );
  // KDFa (Part 1 §11.4.10.2) with one iteration: HMAC(seed, i ‖ label ‖ 0 ‖ contextU ‖ bits).
  const kdfa = (label: string, contextU: Uint8Array, bits: number) =>
    createHmac("sha256", seed)
      .update(Buffer.from([0, 0, 0, 1]))
      .update(Buffer.from(`${label}\0`))
      .update(contextU)
      .update(Buffer.from([0, 0, (bits >> 8) & 0xff, bits & 0xff]))
      .digest()
      .subarray(0, bits / 8);
  const { integrityHMAC, encIdentity } = credentialBlob;
  const hmac = createHmac("sha256", kdfa("INTEGRITY", new Uint8Array(), 256))
    .update(encIdentity)
    .update(tpm.akName)
    .digest();
  if (!hmac.equals(Buffer.from(integrityHMAC))) throw new Error("credential blob integrity check failed");
  const decipher = createDecipheriv("aes-128-cfb", kdfa("STORAGE", tpm.akName, 128), Buffer.alloc(16));
  const plain = Buffer.concat([decipher.update(encIdentity), decipher.final()]);
  return plain.subarray(2, 2 + plain.readUInt16BE(0)).toString("ascii");
}

/** keylime's auth_tag, as its agents compute it: HMAC-SHA384(base64(challenge), agent_id), hex. */
export const keylimeAuthTag = (challenge: string, agentId: string): string =>
  createHmac("sha384", Buffer.from(challenge, "ascii").toString("base64")).update(agentId).digest("hex");
