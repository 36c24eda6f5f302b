// The default EK templates of the TCG EK Credential Profile for TPM Family 2.0 (v2.5, §2.2.1.4
// low range, §2.2.1.5 high range), with the NV indices where a certificate, an optional nonce
// and an optional template for each are kept (§2.2.1.5, Table 2/3).
import { TPM_ALG, TPM_ECC, TPMA_OBJECT } from "../constants.js";
import type { TpmtPublic } from "../structures/public.js";
import { policyA, policyB } from "./policy.js";

export type EkTemplateName = "L-1" | "L-2" | "H-1" | "H-2" | "H-3";
export type EkAlg = "rsa2048" | "ecc-p256" | "ecc-p384";

export interface EkTemplate {
  readonly name: EkTemplateName;
  readonly alg: EkAlg;
  /** Low range: userWithAuth clear, PolicyA, zero-filled unique. High range: PolicyB, empty unique. */
  readonly range: "low" | "high";
  readonly certIndex: number;
  /** Low range only: an NV nonce that fills the start of `unique`. */
  readonly nonceIndex?: number;
  /** An NV index that may hold a TPMT_PUBLIC overriding the default template. */
  readonly templateIndex: number;
  /** The default public template. */
  readonly public: TpmtPublic;
  /**
   * Where platforms commonly keep this EK persistently, if there is a convention: the TCG
   * Provisioning Guidance reserves 0x81010001 (RSA) and 0x81010002 (ECC P-256); swtpm_setup and
   * Nuvoton-based BMCs keep the P-384 EK at 0x81010016.
   */
  readonly persistentHandle?: number;
}

/** 0x000300B2: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt. */
const LOW_ATTRS =
  TPMA_OBJECT.fixedTPM |
  TPMA_OBJECT.fixedParent |
  TPMA_OBJECT.sensitiveDataOrigin |
  TPMA_OBJECT.adminWithPolicy |
  TPMA_OBJECT.restricted |
  TPMA_OBJECT.decrypt;
/** 0x000300F2: as the low range, plus userWithAuth. */
const HIGH_ATTRS = LOW_ATTRS | TPMA_OBJECT.userWithAuth;

const aesCfb = (keyBits: number) => ({ algorithm: TPM_ALG.AES, keyBits, mode: TPM_ALG.CFB }) as const;
const NULL_SCHEME = { scheme: TPM_ALG.NULL } as const;

function rsaTemplate(
  nameAlg: number,
  attrs: number,
  policy: Uint8Array,
  keyBits: number,
  symBits: number,
  unique: Uint8Array,
): TpmtPublic {
  return {
    type: TPM_ALG.RSA,
    nameAlg,
    objectAttributes: attrs,
    authPolicy: policy,
    parameters: { symmetric: aesCfb(symBits), scheme: NULL_SCHEME, keyBits, exponent: 0 },
    unique,
  };
}

function eccTemplate(
  nameAlg: number,
  attrs: number,
  policy: Uint8Array,
  curveID: number,
  symBits: number,
  coord: number,
): TpmtPublic {
  return {
    type: TPM_ALG.ECC,
    nameAlg,
    objectAttributes: attrs,
    authPolicy: policy,
    parameters: { symmetric: aesCfb(symBits), scheme: NULL_SCHEME, curveID, kdf: NULL_SCHEME },
    unique: { x: new Uint8Array(coord), y: new Uint8Array(coord) },
  };
}

const S256 = TPM_ALG.SHA256;
const S384 = TPM_ALG.SHA384;

export const EK_TEMPLATES: Readonly<Record<EkTemplateName, EkTemplate>> = {
  "L-1": {
    name: "L-1",
    alg: "rsa2048",
    range: "low",
    certIndex: 0x01c00002,
    nonceIndex: 0x01c00003,
    templateIndex: 0x01c00004,
    persistentHandle: 0x81010001,
    // unique: 256 zero bytes, the size of the modulus (§2.2.1.4.1).
    public: rsaTemplate(S256, LOW_ATTRS, policyA(S256), 2048, 128, new Uint8Array(256)),
  },
  "L-2": {
    name: "L-2",
    alg: "ecc-p256",
    range: "low",
    certIndex: 0x01c0000a,
    nonceIndex: 0x01c0000b,
    templateIndex: 0x01c0000c,
    persistentHandle: 0x81010002,
    // unique: x and y of 32 zero bytes each (§2.2.1.4.2).
    public: eccTemplate(S256, LOW_ATTRS, policyA(S256), TPM_ECC.NIST_P256, 128, 32),
  },
  "H-1": {
    name: "H-1",
    alg: "rsa2048",
    range: "high",
    certIndex: 0x01c00012,
    templateIndex: 0x01c00013,
    public: rsaTemplate(S256, HIGH_ATTRS, policyB(S256), 2048, 128, new Uint8Array()),
  },
  "H-2": {
    name: "H-2",
    alg: "ecc-p256",
    range: "high",
    certIndex: 0x01c00014,
    templateIndex: 0x01c00015,
    public: eccTemplate(S256, HIGH_ATTRS, policyB(S256), TPM_ECC.NIST_P256, 128, 0),
  },
  "H-3": {
    name: "H-3",
    alg: "ecc-p384",
    range: "high",
    certIndex: 0x01c00016,
    templateIndex: 0x01c00017,
    persistentHandle: 0x81010016,
    public: eccTemplate(S384, HIGH_ATTRS, policyB(S384), TPM_ECC.NIST_P384, 256, 0),
  },
};

/** The template whose certificate lives at an NV index, if any. */
export function templateForCertIndex(index: number): EkTemplate | undefined {
  return Object.values(EK_TEMPLATES).find((t) => t.certIndex === index);
}
