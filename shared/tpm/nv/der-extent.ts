// NV indices are often larger than what they hold: a certificate is followed by zero or 0xFF
// padding, and a chain index holds several certificates back to back. The DER header of each
// (X.690 §8.1.3) says exactly where it ends, so we cut there and never guess.

export class DerExtentError extends Error {
  override readonly name = "DerExtentError";
  readonly code = "DER_EXTENT";
}

/** The length of the DER SEQUENCE that starts at `offset`, header included. */
export function derLength(bytes: Uint8Array, offset = 0): number {
  if (bytes.length - offset < 2)
    throw new DerExtentError(`no DER header at offset ${offset}: only ${bytes.length - offset} byte(s)`);
  if (bytes[offset] !== 0x30) {
    throw new DerExtentError(
      `expected a DER SEQUENCE (0x30) at offset ${offset}, found 0x${(bytes[offset] ?? 0).toString(16)}`,
    );
  }
  const first = bytes[offset + 1] as number;
  let length: number;
  let header: number;
  if (first < 0x80) {
    length = first;
    header = 2;
  } else {
    const n = first & 0x7f;
    // Indefinite lengths (0x80) are not DER; more than 4 length bytes is not a certificate.
    if (n === 0 || n > 4)
      throw new DerExtentError(`invalid DER length form 0x${first.toString(16)} at offset ${offset}`);
    if (bytes.length - offset < 2 + n) throw new DerExtentError(`truncated DER length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (bytes[offset + 2 + i] as number);
    header = 2 + n;
  }
  const total = header + length;
  if (offset + total > bytes.length) {
    throw new DerExtentError(
      `DER SEQUENCE at offset ${offset} claims ${total} bytes but only ${bytes.length - offset} remain`,
    );
  }
  return total;
}

/** The first DER SEQUENCE in `bytes`, without whatever padding follows it. */
export function firstDer(bytes: Uint8Array): Uint8Array {
  return bytes.slice(0, derLength(bytes));
}

/** Every DER SEQUENCE stored back to back, stopping at padding (0x00 or 0xFF) or the end. */
export function splitDer(bytes: Uint8Array, max = 16): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length && bytes[offset] === 0x30) {
    if (out.length >= max) throw new DerExtentError(`more than ${max} certificates in one NV index`);
    const len = derLength(bytes, offset);
    out.push(bytes.slice(offset, offset + len));
    offset += len;
  }
  for (; offset < bytes.length; offset++) {
    const b = bytes[offset];
    if (b !== 0x00 && b !== 0xff)
      throw new DerExtentError(
        `unexpected byte 0x${(b ?? 0).toString(16)} at offset ${offset} after the certificates`,
      );
  }
  return out;
}

/**
 * A TCG stored-certificate header (PC Client Platform TPM Profile, "EK certificate in NV"):
 * 0x10 0x01, a u16 length, then the DER. Some platforms write it in front of the EK cert.
 */
function stripStoredHeader(raw: Uint8Array): Uint8Array {
  if (raw.length > 4 && raw[0] === 0x10 && raw[1] === 0x01 && raw[4] === 0x30) return raw.subarray(4);
  return raw;
}

/** The certificate in raw NV contents: without a stored-certificate header or trailing padding. */
export function unwrapNvCertificate(raw: Uint8Array): Uint8Array {
  return firstDer(stripStoredHeader(raw));
}
