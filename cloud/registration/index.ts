// Agent registration (DESIGN §6), the core both the keylime-compatible HTTP API and the offline
// flow (DESIGN §5) call: beginRegistration admits a TPM and issues its credential challenge,
// completeActivation checks the answer.

export { type Activation, type ActivationOptions, completeActivation } from "./activate.js";
export {
  type Admission,
  checkAdmission,
  type ParsedRegistration,
  parseRegistration,
  type RegistrationRequest,
} from "./admission.js";
export { checkAgentId } from "./agent-id.js";
export { listActiveAgents, removeAgent, showActiveAgent } from "./agents.js";
export { AUTH_TAG_LENGTH, authTag, CHALLENGE_LENGTH, newChallenge } from "./auth-tag.js";
export {
  RegistrationError,
  type RegistrationErrorCode,
  type RegistrationErrorKind,
} from "./errors.js";
export { type BeginOptions, type BegunRegistration, beginRegistration } from "./register.js";
