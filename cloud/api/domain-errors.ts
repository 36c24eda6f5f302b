// The registrar's domain errors as HTTP answers: one table, so every route maps them alike.
import { OfflineFileError } from "../../shared/formats/offline.js";
import { EndorsementError } from "../admin/endorsements.js";
import { RegistrarKeysError } from "../registrar/keys.js";
import { RegistrationError } from "../registration/index.js";
import { CaNotFoundError } from "../store/cas.js";
import { DeviceNotFoundError, DeviceStateError } from "../store/devices.js";
import { StationConflictError, StationNotFoundError } from "../store/stations.js";
import { TokenError } from "../store/tokens.js";
import { ApiError } from "./envelope.js";

const TABLE: [new (...args: never[]) => Error, ApiError["status"]][] = [
  [DeviceNotFoundError, 404],
  [StationNotFoundError, 404],
  [CaNotFoundError, 404],
  [DeviceStateError, 409],
  [StationConflictError, 409],
  [TokenError, 400],
  [RegistrarKeysError, 503],
  [OfflineFileError, 400],
];

const REGISTRATION_STATUS = { invalid: 400, refused: 403, unknown: 404 } as const;

/** The HTTP answer for a known domain error, or undefined for anything else. */
export function domainError(e: unknown): ApiError | undefined {
  if (e instanceof RegistrationError) return new ApiError(REGISTRATION_STATUS[e.kind], e.code, e.message);
  if (e instanceof EndorsementError)
    return new ApiError(
      e.code === "ENDORSEMENT_EXISTS" ? 409 : e.code === "ENDORSEMENT_CERT_UNTRUSTED" ? 422 : 400,
      e.code,
      e.message,
    );
  for (const [cls, status] of TABLE)
    if (e instanceof cls)
      return new ApiError(status, (e as Error & { code?: string }).code ?? cls.name, e.message);
  return undefined;
}
