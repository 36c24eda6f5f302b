// Registration refusals as API errors, through the registrar's one table of domain errors
// (a malformed request is 400, a policy refusal 403, an unknown agent 404): the status text is
// the reason, `results.error` its stable code.
import { domainError } from "../domain-errors.js";

export function toApiError(e: unknown): unknown {
  return domainError(e) ?? e;
}
