// The build's one error class: each failure has a stable code (for scripts and the tests) and
// a message that says what to do about it.

export type BuildErrorCode =
  | "BUILD_ENTRY_MISSING"
  | "BUILD_BUNDLE_FAILED"
  | "BUILD_FOREIGN_IMPORT"
  | "BUILD_ARM64_NODE_FETCH"
  | "BUILD_QEMU_MISSING"
  | "BUILD_SEA_FAILED";

export class BuildError extends Error {
  override readonly name = "BuildError";
  constructor(
    readonly code: BuildErrorCode,
    message: string,
  ) {
    super(message);
  }
}
