// The device side of the TPM stack: what runs next to a TPM (the factory station and the edge
// agent). The verifier side, which needs no TPM, is shared/tpm/verifier/index.ts.

export { activateCredential, type Challenge } from "./activate-credential.js";
export { type AkBlob, createAk, type LoadedAk, loadAk, withAk } from "./ak/ak.js";
export { AK_TEMPLATES, type AkAlg } from "./ak/templates.js";
export { type Authorization, password, policy } from "./auth.js";
export { listHandles, readProperties, readTpmInfo, type TpmInfo } from "./capability.js";
export * as commands from "./commands/index.js";
export { createEk, type Ek, EkError, persistentEk, resolveEkTemplate } from "./ek/create-ek.js";
export { type EkCertificates, type NvEkCert, readEkCertificates } from "./ek/ek-certs.js";
export { EkPolicyError, ekPolicyKind, withEkAuthorization } from "./ek/ek-session.js";
export {
  EK_TEMPLATES,
  type EkAlg,
  type EkTemplate,
  type EkTemplateName,
  templateForCertIndex,
} from "./ek/templates.js";
export { listNvIndices, NvReadError, nvReadAll, nvReadPublic } from "./nv/read.js";
export { PcrReadError, type PcrSelection, readPcrs, selectedIndices, selectPcrs } from "./pcr.js";
export { type QuoteResult, quote } from "./quote.js";
export { decodeRc, TpmResponseError } from "./rc.js";
export { startPolicySession } from "./session.js";
export { Tpm } from "./tpm.js";
export { DEFAULT_TCTI, openTransport, parseTcti, TctiError } from "./transport/tcti.js";
export { TpmTransportError, type Transport } from "./transport/transport.js";
export { asHandle, type Handle, hexHandle, type Tcti, TPM_RH } from "./types.js";
