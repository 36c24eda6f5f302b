// The keylime API versions this registrar speaks (DESIGN §6: 2.1–2.6), and the check of the
// `/v{ver}/` path segment.
import { ApiError } from "../envelope.js";

export const SUPPORTED_API_VERSIONS = ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"] as const;
export const CURRENT_API_VERSION = "2.6";

/** The version of a `v2.x` path segment; ApiError 400 for a version this registrar does not speak. */
export function checkApiVersion(segment: string): string {
  const version = segment.startsWith("v") ? segment.slice(1) : segment;
  if (!(SUPPORTED_API_VERSIONS as readonly string[]).includes(version))
    throw new ApiError(
      400,
      "API_VERSION_UNSUPPORTED",
      `API version "${version.slice(0, 20)}" is not supported by this registrar: use one of ${SUPPORTED_API_VERSIONS.join(", ")} (GET /version lists them)`,
      { supported_versions: [...SUPPORTED_API_VERSIONS] },
    );
  return version;
}
