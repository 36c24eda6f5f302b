// The kinds of factory file `inspect` knows, told apart by content (DESIGN §5): a first item
// that is a map with `sealed_to` is a sealed bundle; a COSE_Sign1 whose payload has
// `bundle_id` is a bundle header; one whose payload has `eks` is a device manifest. Each kind
// is one entry of KINDS: a bundle inspector plugs in by replacing its entry's `inspect`.
import type { ExitStatus, Io } from "../../shared/cli/args.js";
import { CborTag, type CborValue, decodeCbor } from "../../shared/formats/cbor.js";
import { COSE_SIGN1_TAG } from "../../shared/formats/cose-verify.js";

export interface InspectRequest {
  file: string;
  json: boolean;
  /** --station-pub, when given. */
  stationPub: string | undefined;
  /** --registrar-key (the registrar's X25519 private key, opens sealed bundles), when given. */
  registrarKey?: string | undefined;
  io: Io;
}

export interface FileKind {
  /** As printed and in --json "kind". */
  name: string;
  /** True when the file's first CBOR item says it is of this kind. */
  matches(first: CborValue): boolean;
  inspect(request: InspectRequest): Promise<ExitStatus>;
}

function field(value: CborValue, key: string): boolean {
  if (value instanceof Map) return value.has(key);
  return (
    typeof value === "object" &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    !Array.isArray(value) &&
    !(value instanceof CborTag) &&
    Object.hasOwn(value, key)
  );
}

/** Whether `first` is a COSE_Sign1 whose payload is a map with `key`. */
export function signedPayloadHas(first: CborValue, key: string): boolean {
  if (!(first instanceof CborTag) || first.tag !== COSE_SIGN1_TAG || !Array.isArray(first.value))
    return false;
  const payload = first.value[2];
  if (!(payload instanceof Uint8Array)) return false;
  try {
    return field(decodeCbor(payload, { maxDepth: 16 }), key);
  } catch {
    return false;
  }
}

export function isSealedHeader(first: CborValue): boolean {
  return field(first, "sealed_to");
}

/** Every kind, most specific first. The manifest kind is loaded only when used. */
export const KINDS: FileKind[] = [
  {
    name: "sealed bundle",
    matches: isSealedHeader,
    inspect: async (r) => (await import("./commands/inspect-bundle.js")).inspectBundle(r, true),
  },
  {
    name: "bundle",
    matches: (first) => signedPayloadHas(first, "bundle_id"),
    inspect: async (r) => (await import("./commands/inspect-bundle.js")).inspectBundle(r, false),
  },
  {
    name: "manifest",
    matches: (first) => signedPayloadHas(first, "eks"),
    inspect: async (r) => (await import("./commands/inspect-manifest.js")).inspectManifest(r),
  },
];
