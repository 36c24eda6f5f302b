// The agent's errors. Each class stands for one kind of outcome an operator (or a boot script)
// must tell apart, and so maps to one exit status (EXIT below, documented in --help and the
// README). Every message says what happened and what to do about it.

/** Exit statuses of every agent command. */
export const EXIT = {
  /** Done: registered and active, request or response written, state shown. */
  ok: 0,
  /** The registrar refused (a 4xx answer, printed with its reason), or a challenge file was refused. */
  refused: 1,
  /** The command line, the environment or the config file is wrong, or an input cannot be read. */
  usage: 2,
  /** A bug: an error nobody anticipated. */
  internal: 3,
  /** The registrar could not be reached (or kept answering 5xx) until --max-wait ran out. */
  unreachable: 4,
  /** The TPM failed: no EK certificate, an EK that is not the certificate's, a TPM error code. */
  tpm: 5,
  /** The registrar answered, but with something unusable (a garbage or truncated blob, a blob for another key). */
  badAnswer: 6,
  /** `status`: this device is not registered and active (yet). */
  notRegistered: 7,
} as const;

export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

abstract class AgentError extends Error {
  abstract readonly exit: ExitStatus;
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A wrong option, environment variable or config file entry. */
export class ConfigError extends AgentError {
  override readonly name = "ConfigError";
  readonly exit = EXIT.usage;
  /** The command it concerns ("offline activate"), so the message can point at its --help. */
  command = "";
}

/** The registrar said no (4xx). `reason` is its envelope's `status`. */
export class RegistrarRefusedError extends AgentError {
  override readonly name = "RegistrarRefusedError";
  readonly exit = EXIT.refused;
  constructor(
    readonly httpStatus: number,
    readonly reason: string,
    readonly registrarCode: string | undefined,
    what: string,
  ) {
    super(
      "REGISTRAR_REFUSED",
      `the registrar refused ${what} (HTTP ${httpStatus}${registrarCode ? `, ${registrarCode}` : ""}): ${reason}`,
    );
  }
}

/** A challenge file the agent will not answer (another signer, another agent, expired, malformed). */
export class ChallengeRefusedError extends AgentError {
  override readonly name = "ChallengeRefusedError";
  readonly exit = EXIT.refused;
}

/** Gave up on the registrar after --max-wait. */
export class RegistrarUnreachableError extends AgentError {
  override readonly name = "RegistrarUnreachableError";
  readonly exit = EXIT.unreachable;
}

/** The registrar answered with something the agent cannot use. */
export class RegistrarAnswerError extends AgentError {
  override readonly name = "RegistrarAnswerError";
  readonly exit = EXIT.badAnswer;
}

/** Anything the TPM (or the way to it) got wrong. */
export class AgentTpmError extends AgentError {
  override readonly name = "AgentTpmError";
  readonly exit = EXIT.tpm;
}

/** The state directory cannot be read or written. */
export class StateError extends AgentError {
  override readonly name = "StateError";
  readonly exit = EXIT.usage;
}

export type AnyAgentError =
  | ConfigError
  | RegistrarRefusedError
  | ChallengeRefusedError
  | RegistrarUnreachableError
  | RegistrarAnswerError
  | AgentTpmError
  | StateError;

export function isAgentError(e: unknown): e is AnyAgentError {
  return e instanceof AgentError;
}

export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
