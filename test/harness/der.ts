// Just enough DER to build the two EK-certificate extensions @peculiar/x509 cannot express as
// real TPM vendors encode them: a SAN whose only GeneralName is a directoryName of UTF8String
// TPM attributes, and Subject Directory Attributes carrying tpmSpecification.

function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content);
  return Buffer.concat([Uint8Array.of(tag), length(body.length), body]);
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, ...items);
export const set = (...items: Uint8Array[]): Uint8Array => tlv(0x31, ...items);
export const utf8String = (s: string): Uint8Array => tlv(0x0c, Buffer.from(s, "utf8"));

/** A non-negative INTEGER, minimally encoded (a leading 0x00 when the top bit is set). */
export function integer(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`unsupported INTEGER ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

export function objectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((a) => Number.parseInt(a, 10));
  const [a0 = 0, a1 = 0, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [a0 * 40 + a1, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

/** [n] EXPLICIT, constructed context tag. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);
