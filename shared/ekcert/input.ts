// Finding the certificates in what an operator or a device hands us: PEM (one or several
// CERTIFICATE blocks, any text around them), base64 of DER (whitespace allowed), raw DER (one
// or several back to back, as in an NV chain index), and raw NV dumps (a TCG stored-certificate
// header before the DER, zero or 0xFF padding after it). Only the extent of each certificate is
// found here; parseCertificate reads it.
import { DerExtentError, splitDer, unwrapNvCertificate } from "../tpm/nv/der-extent.js";
import { EkCertUnreadableError } from "./errors.js";

/** Larger inputs are refused unread. */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** At most this many certificates in one input (a CA bundle file). */
export const MAX_CERTIFICATES = 256;

const CERT_LABELS: ReadonlySet<string> = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);

function unreadable(message: string, cause?: unknown): EkCertUnreadableError {
  return new EkCertUnreadableError(message, cause === undefined ? undefined : { cause });
}

/** Strict base64 (RFC 4648 §4) with whitespace anywhere; undefined if it is not. */
function decodeBase64(text: string): Uint8Array | undefined {
  const s = text.replace(/\s+/g, "");
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  return new Uint8Array(Buffer.from(s, "base64"));
}

/** One or more DER certificates: back to back with padding after, or behind a TCG stored-certificate header. */
function fromBinary(bytes: Uint8Array, what: string): Uint8Array[] {
  try {
    if (bytes[0] === 0x10 && bytes[1] === 0x01) return [unwrapNvCertificate(bytes)];
    const ders = splitDer(bytes, MAX_CERTIFICATES);
    if (ders.length === 0) throw unreadable(`${what} holds no DER certificate`);
    return ders;
  } catch (e) {
    if (e instanceof DerExtentError) {
      const truncated = /claims \d+ bytes|truncated|no DER header/.test(e.message);
      throw unreadable(`${what} is ${truncated ? "truncated" : "not a DER certificate"}: ${e.message}`, e);
    }
    throw e;
  }
}

/** Printable ASCII and whitespace only (what PEM and base64 files are made of). */
function looksLikeText(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  for (; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if ((b < 0x20 || b > 0x7e) && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  }
  return true;
}

/** PEM blocks (RFC 7468) in order; scanned with indexOf, so hostile text stays linear. */
function pemBlocks(text: string): { blocks: { label: string; body: string }[]; unterminated?: string } {
  const blocks: { label: string; body: string }[] = [];
  for (let pos = 0; ; ) {
    const begin = text.indexOf("-----BEGIN ", pos);
    if (begin < 0) return { blocks };
    const labelEnd = text.indexOf("-----", begin + 11);
    if (labelEnd < 0) return { blocks };
    const label = text.slice(begin + 11, labelEnd);
    if (!/^[A-Z0-9 ]{1,64}$/.test(label)) {
      pos = begin + 11;
      continue;
    }
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, labelEnd + 5);
    if (end < 0) return { blocks, unterminated: label };
    blocks.push({ label, body: text.slice(labelEnd + 5, end) });
    pos = end + endMarker.length;
  }
}

function fromText(text: string): Uint8Array[] | undefined {
  const out: Uint8Array[] = [];
  const { blocks, unterminated } = pemBlocks(text);
  for (const { label, body } of blocks) {
    if (!CERT_LABELS.has(label)) continue;
    const block = out.length + 1;
    // RFC 7468 §2: no headers in a CERTIFICATE block; tolerate none here either.
    const der = decodeBase64(body);
    if (!der) throw unreadable(`PEM block ${block} (${label}) is not valid base64`);
    const ders = fromBinary(der, `PEM block ${block} (${label})`);
    if (ders.length !== 1)
      throw unreadable(`PEM block ${block} (${label}) holds ${ders.length} certificates`);
    out.push(ders[0] as Uint8Array);
    if (out.length > MAX_CERTIFICATES)
      throw unreadable(`more than ${MAX_CERTIFICATES} certificates in one input`);
  }
  if (unterminated !== undefined && (CERT_LABELS.has(unterminated) || out.length + blocks.length === 0)) {
    throw unreadable(`PEM ${unterminated} block ${out.length + 1} without its END line (truncated)`);
  }
  if (out.length > 0) return out;
  if (blocks.length > 0) {
    throw unreadable(
      `PEM without a CERTIFICATE block (found ${[...new Set(blocks.map((b) => b.label))].join(", ")})`,
    );
  }
  const der = decodeBase64(text);
  if (der) return fromBinary(der, "base64 input");
  return undefined;
}

/**
 * The DER of every certificate in `bytes`, as copies. Throws EkCertUnreadableError (code
 * EK_CERT_UNREADABLE) for empty, oversized, truncated or unrecognisable input.
 */
export function readCertificateInput(input: Uint8Array): Uint8Array[] {
  // A plain Uint8Array view, so that slicing copies (Buffer#slice would share memory).
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length === 0) throw unreadable("empty input: no certificate");
  if (bytes.length > MAX_INPUT_BYTES) {
    throw unreadable(`input of ${bytes.length} bytes is larger than the ${MAX_INPUT_BYTES}-byte limit`);
  }
  let binaryError: unknown;
  if (bytes[0] === 0x30 || (bytes[0] === 0x10 && bytes[1] === 0x01)) {
    try {
      return fromBinary(bytes, "DER input");
    } catch (e) {
      // "0" is also the first character of some text: try the text forms before giving up.
      if (!looksLikeText(bytes)) throw e;
      binaryError = e;
    }
  }
  if (looksLikeText(bytes)) {
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + bom, bytes.byteLength - bom).toString("latin1");
    if (/^\s*$/.test(text)) throw unreadable("empty input: only whitespace");
    const found = fromText(text);
    if (found) return found;
  }
  if (binaryError) throw binaryError;
  const first = (bytes[0] as number).toString(16).padStart(2, "0");
  throw unreadable(
    `not a certificate: neither PEM, base64 nor DER (DER starts with 0x30; this input starts with 0x${first})`,
  );
}
