// The command table: one declaration per command, in the order of TPM 2.0 Part 3.

export { ActivateCredential } from "./activate-credential.js";
export { Create } from "./create.js";
export { CreatePrimary } from "./create-primary.js";
export { EvictControl } from "./evict-control.js";
export { FlushContext } from "./flush-context.js";
export { GetCapability } from "./get-capability.js";
export { GetRandom } from "./get-random.js";
export { Load } from "./load.js";
export { MakeCredential } from "./make-credential.js";
export { NV_Read } from "./nv-read.js";
export { NV_ReadPublic } from "./nv-read-public.js";
export { PCR_Read } from "./pcr-read.js";
export { PolicyGetDigest } from "./policy-get-digest.js";
export { PolicyOR } from "./policy-or.js";
export { PolicySecret } from "./policy-secret.js";
export { Quote } from "./quote.js";
export { ReadPublic } from "./read-public.js";
export { StartAuthSession } from "./start-auth-session.js";
export { Startup } from "./startup.js";
