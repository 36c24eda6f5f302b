// Verification of a TPM2_Quote (Part 3 §18.4) by the verifier: the AK's signature over the
// exact TPMS_ATTEST bytes, then the attested fields (Part 2 §10.12.1, §10.12.12).
//
// Error contract (as everywhere in shared/tpm/verifier): verifyQuote returns the verified
// quote or throws a TpmVerifierError whose `code` says which check failed:
//   SignatureError  SIGNATURE_MALFORMED | SIGNATURE_SCHEME_MISMATCH | SIGNATURE_HASH_UNSUPPORTED | SIGNATURE_INVALID
//   AttestError     ATTEST_NOT_TPM_GENERATED | ATTEST_MALFORMED
//   QuoteError      QUOTE_NOT_A_QUOTE | QUOTE_NONCE_MISMATCH | QUOTE_PCR_BANK_UNSUPPORTED |
//                   QUOTE_PCR_MISSING | QUOTE_PCR_DIGEST_MISMATCH
//   PublicKeyError / UnsupportedAlgorithmError for an AK public area that holds no usable key.
import { timingSafeEqual } from "node:crypto";
import { TPM_ST } from "../constants.js";
import type { TpmsAttest } from "../structures/attest.js";
import type { TpmtPublic } from "../structures/public.js";
import type { TpmtSignature } from "../structures/signature.js";
import { parseAttest } from "./attest.js";
import { algLabel, TpmVerifierError } from "./errors.js";
import { digestSize, hash, isSupportedHash } from "./hash.js";
import { verifySignature } from "./signature.js";

export type QuoteErrorCode =
  | "QUOTE_NOT_A_QUOTE"
  | "QUOTE_NONCE_MISMATCH"
  | "QUOTE_PCR_BANK_UNSUPPORTED"
  | "QUOTE_PCR_MISSING"
  | "QUOTE_PCR_DIGEST_MISMATCH";

/** A correctly signed attestation that does not say what the verifier expects. */
export class QuoteError extends TpmVerifierError {
  override readonly name = "QuoteError";
  constructor(
    readonly code: QuoteErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** PCR index → value, for one bank. */
export type PcrBank = ReadonlyMap<number, Uint8Array> | Readonly<Record<number, Uint8Array>>;
/** Bank (TPM_ALG_ID of its hash, e.g. TPM_ALG.SHA256) → PCR index → value. */
export type PcrValues = ReadonlyMap<number, PcrBank> | Readonly<Record<number, PcrBank>>;

/** A TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE. */
export type QuoteAttest = Extract<TpmsAttest, { type: typeof TPM_ST.ATTEST_QUOTE }>;

export interface VerifyQuoteInput {
  /** The AK's public area; check it with checkAkPublic first. */
  akPublic: TpmtPublic;
  /** TPMS_ATTEST bytes exactly as signed (Quote's `quoted`, the file of `tpm2_quote -m`). */
  quoted: Uint8Array;
  signature: TpmtSignature;
  /** The qualifyingData the verifier sent; must come back as extraData. */
  nonce: Uint8Array;
  /** The PCR values the quote claims to cover, e.g. from the device's PCR_Read or event log. */
  pcrs: PcrValues;
}

export interface VerifiedQuote {
  attest: QuoteAttest;
  /** Hash of the signature, which is also the hash of pcrDigest. */
  signatureHash: number;
  /** What the quote covers, banks in the quote's order, indices ascending: check it is what you asked for. */
  selection: { hashAlg: number; pcrs: number[] }[];
}

/** PCR indices set in a TPMS_PCR_SELECTION bitmap (Part 2 §10.6.2: bit i of byte i/8, LSB first). */
export function selectedPcrs(pcrSelect: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < pcrSelect.length * 8; i++) if ((pcrSelect[i >> 3] ?? 0) & (1 << (i & 7))) out.push(i);
  return out;
}

function lookup<V>(m: ReadonlyMap<number, V> | Readonly<Record<number, V>>, key: number): V | undefined {
  if (m instanceof Map) return m.get(key);
  return Object.hasOwn(m, key) ? (m as Record<number, V>)[key] : undefined;
}

/**
 * Part 3 §18.4.1: pcrDigest = H_sigHash(PCR values of the selection, concatenated in order:
 * banks as listed, indices ascending within a bank).
 */
export function quotePcrDigest(
  hashAlg: number,
  selection: readonly { hashAlg: number; pcrs: readonly number[] }[],
  pcrs: PcrValues,
): Uint8Array {
  const values: Uint8Array[] = [];
  for (const bank of selection) {
    if (!isSupportedHash(bank.hashAlg)) {
      throw new QuoteError(
        "QUOTE_PCR_BANK_UNSUPPORTED",
        `the quote selects PCR bank ${algLabel(bank.hashAlg)}, which the verifier cannot check`,
      );
    }
    const size = digestSize(bank.hashAlg);
    const have = lookup(pcrs, bank.hashAlg);
    for (const index of bank.pcrs) {
      const value = have ? lookup(have, index) : undefined;
      if (!(value instanceof Uint8Array) || value.length !== size) {
        const why = value === undefined ? "no value was supplied" : `the supplied value is not ${size} bytes`;
        throw new QuoteError(
          "QUOTE_PCR_MISSING",
          `the quote covers PCR ${index} of bank ${algLabel(bank.hashAlg)} but ${why}`,
        );
      }
      values.push(value);
    }
  }
  return hash(hashAlg, ...values);
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

/**
 * Checks, in this order: the signature over the exact `quoted` bytes with the AK (scheme and
 * hash allowed by the AK's scheme); that the bytes are a TPM-made TPMS_ATTEST of type
 * TPM_ST_ATTEST_QUOTE; that extraData equals `nonce` (constant time); and that pcrDigest is
 * the hash (with the signature's hash) of the supplied values of the selected PCRs.
 */
export function verifyQuote({ akPublic, quoted, signature, nonce, pcrs }: VerifyQuoteInput): VerifiedQuote {
  const signatureHash = verifySignature(akPublic, quoted, signature, "quote signature");
  const attest = parseAttest(quoted, "quote (TPMS_ATTEST)");
  if (attest.type !== TPM_ST.ATTEST_QUOTE) {
    throw new QuoteError(
      "QUOTE_NOT_A_QUOTE",
      `the attestation is of type 0x${attest.type.toString(16)}, not TPM_ST_ATTEST_QUOTE (0x8018): the AK signed something other than a quote`,
    );
  }
  if (!sameBytes(attest.extraData, nonce)) {
    throw new QuoteError(
      "QUOTE_NONCE_MISMATCH",
      "the quote's extraData is not the nonce this verifier issued: it is a replay or answers another challenge",
    );
  }
  const selection = attest.attested.pcrSelect.map((s) => ({
    hashAlg: s.hash,
    pcrs: selectedPcrs(s.pcrSelect),
  }));
  const expected = quotePcrDigest(signatureHash, selection, pcrs);
  if (!sameBytes(attest.attested.pcrDigest, expected)) {
    const banks = selection.map((b) => `${algLabel(b.hashAlg)}:${b.pcrs.join(",")}`).join(" + ");
    throw new QuoteError(
      "QUOTE_PCR_DIGEST_MISMATCH",
      `the quote's pcrDigest does not match the supplied PCR values (${banks}): the PCRs changed or the values are not the TPM's`,
    );
  }
  return { attest, signatureHash, selection };
}
