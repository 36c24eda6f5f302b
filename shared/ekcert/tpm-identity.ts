// The TPM an EK certificate speaks for (TCG EK Credential Profile 2.x §3.2.9): its subject
// alternative name holds a directoryName with three attributes, TPMManufacturer (2.23.133.2.1),
// TPMModel (.2) and TPMVersion (.3). Vendors nest them differently: one RDN each (Infineon,
// STMicro, Intel, swtpm) or all three in one multi-valued RDN (Nuvoton). Both read the same.
import { children, isContext, onlyChild, readTlv, TAG } from "./der.js";
import { DerError, toParseError } from "./errors.js";
import { readName } from "./name.js";
import { OID } from "./oid.js";
import type { Name, TpmIdentity } from "./types.js";

/**
 * The vendor code a TPMManufacturer value spells: "id:4E544300" → "NTC", "id:494E5443" →
 * "INTC". Undefined when the four bytes are not printable ASCII (swtpm's "id:00001014").
 */
export function manufacturerCode(manufacturer: string): string | undefined {
  const m = /^(?:id:)?([0-9a-f]{8})$/i.exec(manufacturer.trim());
  if (!m) return undefined;
  const hex = m[1] as string;
  const bytes: number[] = [];
  for (let i = 0; i < 8; i += 2) bytes.push(Number.parseInt(hex.slice(i, i + 2), 16));
  while (bytes.length > 0 && (bytes[bytes.length - 1] === 0x00 || bytes[bytes.length - 1] === 0x20))
    bytes.pop();
  if (bytes.length === 0 || bytes[0] === 0x20) return undefined;
  if (bytes.some((b) => b < 0x20 || b > 0x7e)) return undefined;
  return String.fromCharCode(...bytes);
}

/** The TPM attributes of a Name, wherever its RDNs put them; undefined without a TPMManufacturer. */
export function tpmIdentityFromName(name: Name): TpmIdentity | undefined {
  let manufacturer: string | undefined;
  let model = "";
  let version = "";
  for (const rdn of name.rdns) {
    for (const a of rdn) {
      if (a.type === OID.tpmManufacturer) manufacturer ??= a.value;
      else if (a.type === OID.tpmModel) model ||= a.value;
      else if (a.type === OID.tpmVersion) version ||= a.value;
    }
  }
  if (manufacturer === undefined) return undefined;
  const code = manufacturerCode(manufacturer);
  return code === undefined
    ? { manufacturer, model, version }
    : { manufacturer, manufacturerCode: code, model, version };
}

/**
 * The identity each Name read holds, or null: readName gives one object for identical bytes (the
 * directoryName of every EK certificate of one TPM model), so it is worked out once. Frozen,
 * because certificates share it.
 */
const FROM_NAME = new WeakMap<Name, TpmIdentity | null>();

/**
 * Reads the TPM identity from a subjectAltName extension value (GeneralNames): the first
 * directoryName ([4]) that holds a TPMManufacturer. Other kinds of names are skipped unread;
 * bytes after the GeneralNames SEQUENCE are ignored. Throws DerError.
 */
export function readTpmIdentity(san: Uint8Array): TpmIdentity | undefined {
  const seq = readTlv(san, 0);
  if (seq.cls !== "universal" || seq.tag !== TAG.SEQUENCE || !seq.constructed) {
    throw new DerError("subjectAltName is not a SEQUENCE of GeneralNames", 0);
  }
  for (const gn of children(san, seq)) {
    if (!isContext(gn, 4)) continue;
    // directoryName [4] is EXPLICIT (a Name is a CHOICE): one Name inside.
    if (!gn.constructed) throw new DerError("directoryName [4] must be constructed", gn.start);
    const name = readName(san, onlyChild(san, gn));
    let id = FROM_NAME.get(name);
    if (id === undefined) {
      id = tpmIdentityFromName(name) ?? null;
      FROM_NAME.set(name, id === null ? null : Object.freeze(id));
    }
    if (id) return id;
  }
  return undefined;
}

/** readTpmIdentity for callers outside the parser: throws EkCertParseError. */
export function parseTpmIdentity(san: Uint8Array): TpmIdentity | undefined {
  try {
    return readTpmIdentity(san);
  } catch (e) {
    throw toParseError("malformed subjectAltName", e);
  }
}
