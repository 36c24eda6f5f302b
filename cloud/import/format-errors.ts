// Turns the file formats' errors (shared/formats/errors.ts) into an ImportError that refuses the
// whole file, keeping their words (they already name the item, chunk or key concerned).
import {
  BundleDigestMismatchError,
  BundleError,
  BundleItemCountError,
  CborError,
  CoseBadSignatureError,
  CoseError,
  CoseUnknownKidError,
  FormatVersionError,
  SealError,
} from "../../shared/formats/errors.js";
import { ManifestInvalidError } from "../../shared/formats/manifest.js";
import { ImportError } from "./report.js";

/** The ImportError for a format error, or undefined when `e` is not one (a bug, an I/O error…). */
export function formatErrorToImportError(e: unknown, what: string): ImportError | undefined {
  if (e instanceof ImportError) return e;
  const wrap = (code: ImportError["code"], message: string) => new ImportError(code, message, { cause: e });
  if (e instanceof BundleDigestMismatchError || e instanceof BundleItemCountError)
    return wrap("IMPORT_TAMPERED", `${what} refused: ${e.message}`);
  if (e instanceof CoseUnknownKidError)
    return wrap(
      "IMPORT_UNKNOWN_STATION",
      `${what} is signed by an unknown station kid ${Buffer.from(e.kid).toString("hex")}: no trusted station has that key (add it with 'registrar stations add NAME NAME.pub')`,
    );
  if (e instanceof CoseBadSignatureError)
    return wrap("IMPORT_BAD_SIGNATURE", `${what} refused: ${e.message}`);
  if (e instanceof SealError) return wrap("IMPORT_SEALED", `${what} refused: ${e.message}`);
  if (
    e instanceof BundleError ||
    e instanceof CoseError ||
    e instanceof CborError ||
    e instanceof FormatVersionError ||
    e instanceof ManifestInvalidError
  )
    return wrap("IMPORT_MALFORMED", `${what} refused: ${e.message}`);
  return undefined;
}
