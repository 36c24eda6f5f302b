// The swtpm fleet harness (DESIGN §9): test CAs, EK certs, simulated TPMs in real vendors'
// NV layouts, tpm2-tools helpers and the vitest fixture.

export {
  ekIssuer,
  ekKeyType,
  foreignPublicKey,
  type IssueEkCertOptions,
  issueEkCert,
  OID,
  SWTPM_TPM_ATTRIBUTES,
  spkiDer,
  type TpmAttributes,
  type Vendor,
  vendorIntermediates,
} from "./ek-cert.js";
export { CommandError, type ExitResult, type RunOptions, type RunResult, run, runToExit } from "./exec.js";
export { expectNoTransientHandles, type Fleet, useFleet } from "./fixture.js";
export {
  type Defect,
  EK_CERT_NV_ATTRIBUTES,
  EK_CERT_NV_ATTRIBUTES_WRITTEN,
  EK_CHAIN_NV_INDEX,
  type EkAlg,
  type EkTemplate,
  LAYOUTS,
  type Layout,
  type ManufactureOptions,
  manufactureTpm,
  NV_INDEX_MAX,
  type SimEk,
  type SimTpm,
} from "./manufacture.js";
export { type P256Key, p256Key } from "./p256-key.js";
export { type CaKeyAlg, createTestPki, type TestCa, type TestPki } from "./pki.js";
export { startTestRegistrar, type TestRegistrar, type TestRegistrarOptions } from "./registrar.js";
export { isAlive, KEEP_ENV, keepRunFiles, RUN_DIR_ENV, runDir } from "./run-dir.js";
export {
  keylimeAuthTag,
  SOFT_AK_TEMPLATE,
  type SoftTpm,
  type SoftTpmOptions,
  softActivate,
  softAk,
  softTpm,
} from "./soft-tpm.js";
export { type StartSwtpmOptions, type SwtpmProcess, startSwtpm } from "./swtpm.js";
export { swtpmSetup } from "./swtpm-setup.js";
export { issueTlsCert } from "./tls-cert.js";
export {
  hex,
  type NvPublic,
  nvIndices,
  nvRead,
  nvReadPublic,
  parseHandleList,
  persistentHandles,
  readPublicPem,
  type Tpm2Options,
  tpm2,
  tpm2Text,
  transientHandles,
} from "./tpm2-tools.js";
