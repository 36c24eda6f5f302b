import { constants, createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { marshal } from "../codec/codec.js";
import { TPM_ALG, TPM_GENERATED_VALUE, TPM_ST } from "../constants.js";
import { TPMS_ATTEST, type TpmsAttest } from "../structures/attest.js";
import type { TpmtPublic } from "../structures/public.js";
import type { TpmtSignature } from "../structures/signature.js";
import { parsePublicArea } from "./public-area.js";
import { keyObjectToPublicFields } from "./public-key.js";
import { type PcrValues, verifyQuote } from "./quote.js";
import { parseSignature } from "./signature.js";
import { ECC_AK_PUB, ECC_QUOTE, RSA_AK_PUB, RSA_QUOTE } from "./testdata/tpm2-tools.js";

const AK_ATTRS = 0x00050072; // fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|sign

/** An AK public area around a software key, with the given signing scheme. */
function akArea(pub: KeyObject, scheme: number, hashAlg: number = TPM_ALG.SHA256): TpmtPublic {
  const f = keyObjectToPublicFields(pub);
  const head = { nameAlg: TPM_ALG.SHA256, objectAttributes: AK_ATTRS, authPolicy: new Uint8Array(0) };
  if (f.type === TPM_ALG.RSA) {
    return {
      type: TPM_ALG.RSA,
      ...head,
      parameters: {
        symmetric: { algorithm: TPM_ALG.NULL },
        scheme: { scheme, hashAlg },
        keyBits: f.keyBits,
        exponent: f.exponent,
      },
      unique: f.unique,
    } as TpmtPublic;
  }
  return {
    type: TPM_ALG.ECC,
    ...head,
    parameters: {
      symmetric: { algorithm: TPM_ALG.NULL },
      scheme: { scheme, hashAlg },
      curveID: f.curveID,
      kdf: { scheme: TPM_ALG.NULL },
    },
    unique: f.unique,
  } as TpmtPublic;
}

const pcr = (byte: number, size = 32) => new Uint8Array(size).fill(byte);
const PCRS = new Map([
  [
    TPM_ALG.SHA256,
    new Map([
      [0, pcr(0xa0)],
      [7, pcr(0xa7)],
      [16, pcr(0xb6)],
    ]),
  ],
  [TPM_ALG.SHA1, new Map([[3, pcr(0x13, 20)]])],
]);
const NONCE = Buffer.from("4f9a7c1e2d3b5a69", "hex");

/** A TPMS_ATTEST for sha256:{0,7,16} + sha1:{3}, with pcrDigest computed here by hand. */
function attestBytes(opts: { magic?: number } = {}) {
  const concat = Buffer.concat([pcr(0xa0), pcr(0xa7), pcr(0xb6), pcr(0x13, 20)]);
  const pcrDigest = createHash("sha256").update(concat).digest();
  const attest: TpmsAttest = {
    magic: TPM_GENERATED_VALUE,
    type: TPM_ST.ATTEST_QUOTE,
    qualifiedSigner: Buffer.from(`000b${"cd".repeat(32)}`, "hex"),
    extraData: NONCE,
    clockInfo: { clock: 123456n, resetCount: 1, restartCount: 0, safe: true },
    firmwareVersion: 0x2019102300163636n,
    attested: {
      pcrSelect: [
        { hash: TPM_ALG.SHA256, pcrSelect: Uint8Array.from([0b1000_0001, 0, 0b0000_0001]) },
        { hash: TPM_ALG.SHA1, pcrSelect: Uint8Array.from([0b0000_1000, 0, 0]) },
      ],
      pcrDigest,
    },
  };
  const bytes = Buffer.from(marshal(TPMS_ATTEST, attest));
  if (opts.magic !== undefined) bytes.writeUInt32BE(opts.magic, 0);
  return new Uint8Array(bytes);
}

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ecc = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("rsa", { modulusLength: 2048 });

const rsassa = (
  key: KeyObject,
  msg: Uint8Array,
  hash = "sha256",
  alg: number = TPM_ALG.SHA256,
): TpmtSignature => ({
  sigAlg: TPM_ALG.RSASSA,
  hash: alg,
  sig: new Uint8Array(sign(hash, msg, { key, padding: constants.RSA_PKCS1_PADDING })),
});
const rsapss = (key: KeyObject, msg: Uint8Array): TpmtSignature => ({
  sigAlg: TPM_ALG.RSAPSS,
  hash: TPM_ALG.SHA256,
  sig: new Uint8Array(sign("sha256", msg, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })),
});
const ecdsa = (key: KeyObject, msg: Uint8Array): TpmtSignature => {
  const rs = sign("sha256", msg, { key, dsaEncoding: "ieee-p1363" });
  return {
    sigAlg: TPM_ALG.ECDSA,
    hash: TPM_ALG.SHA256,
    signatureR: rs.subarray(0, 32),
    signatureS: rs.subarray(32),
  };
};

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "ok";
};

describe("verifyQuote with a software-made quote", () => {
  const akPublic = akArea(rsa.publicKey, TPM_ALG.RSASSA);
  const quoted = attestBytes();
  const signature = rsassa(rsa.privateKey, quoted);

  it("accepts a correct RSASSA quote and reports what it covers", () => {
    const v = verifyQuote({ akPublic, quoted, signature, nonce: NONCE, pcrs: PCRS });
    expect(v.signatureHash).toBe(TPM_ALG.SHA256);
    expect(v.selection).toEqual([
      { hashAlg: TPM_ALG.SHA256, pcrs: [0, 7, 16] },
      { hashAlg: TPM_ALG.SHA1, pcrs: [3] },
    ]);
    expect(v.attest.clockInfo.clock).toBe(123456n);
  });

  it("accepts PCR values given as plain records", () => {
    const pcrs: PcrValues = {
      [TPM_ALG.SHA256]: { 0: pcr(0xa0), 7: pcr(0xa7), 16: pcr(0xb6) },
      [TPM_ALG.SHA1]: { 3: pcr(0x13, 20) },
    };
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature, nonce: NONCE, pcrs }))).toBe("ok");
  });

  it("fails for another nonce", () => {
    const nonce = Buffer.from(NONCE);
    nonce[0] = (nonce[0] as number) ^ 1;
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature, nonce, pcrs: PCRS }))).toBe(
      "QUOTE_NONCE_MISMATCH",
    );
    expect(
      codeOf(() => verifyQuote({ akPublic, quoted, signature, nonce: NONCE.subarray(1), pcrs: PCRS })),
    ).toBe("QUOTE_NONCE_MISMATCH");
  });

  it("fails for a changed PCR value", () => {
    const pcrs = new Map(PCRS);
    pcrs.set(TPM_ALG.SHA1, new Map([[3, pcr(0x14, 20)]]));
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature, nonce: NONCE, pcrs }))).toBe(
      "QUOTE_PCR_DIGEST_MISMATCH",
    );
  });

  it("fails when a selected PCR has no value", () => {
    const pcrs = new Map([[TPM_ALG.SHA256, PCRS.get(TPM_ALG.SHA256)!]]);
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature, nonce: NONCE, pcrs }))).toBe(
      "QUOTE_PCR_MISSING",
    );
  });

  it("fails for a flipped signature bit", () => {
    if (signature.sigAlg !== TPM_ALG.RSASSA) throw new Error("expected RSASSA");
    const sig = Uint8Array.from(signature.sig);
    sig[100] = (sig[100] as number) ^ 0x08;
    const bad = { ...signature, sig };
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature: bad, nonce: NONCE, pcrs: PCRS }))).toBe(
      "SIGNATURE_INVALID",
    );
  });

  it("fails for a flipped bit in the quoted bytes", () => {
    const q = Uint8Array.from(quoted);
    q[q.length - 1] = (q[q.length - 1] as number) ^ 1;
    expect(codeOf(() => verifyQuote({ akPublic, quoted: q, signature, nonce: NONCE, pcrs: PCRS }))).toBe(
      "SIGNATURE_INVALID",
    );
  });

  it("fails with the wrong AK", () => {
    const wrong = akArea(other.publicKey, TPM_ALG.RSASSA);
    expect(codeOf(() => verifyQuote({ akPublic: wrong, quoted, signature, nonce: NONCE, pcrs: PCRS }))).toBe(
      "SIGNATURE_INVALID",
    );
  });

  it("fails when the signature's scheme or hash is not the AK's", () => {
    const pss = rsapss(rsa.privateKey, quoted);
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature: pss, nonce: NONCE, pcrs: PCRS }))).toBe(
      "SIGNATURE_SCHEME_MISMATCH",
    );
    const sha384 = rsassa(rsa.privateKey, quoted, "sha384", TPM_ALG.SHA384);
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature: sha384, nonce: NONCE, pcrs: PCRS }))).toBe(
      "SIGNATURE_SCHEME_MISMATCH",
    );
    const ec = ecdsa(ecc.privateKey, quoted);
    expect(codeOf(() => verifyQuote({ akPublic, quoted, signature: ec, nonce: NONCE, pcrs: PCRS }))).toBe(
      "SIGNATURE_SCHEME_MISMATCH",
    );
  });

  it("refuses a SHA-1 signature even from an AK without a fixed scheme", () => {
    const open = akArea(rsa.publicKey, TPM_ALG.NULL);
    const sha1 = rsassa(rsa.privateKey, quoted, "sha1", TPM_ALG.SHA1);
    expect(
      codeOf(() => verifyQuote({ akPublic: open, quoted, signature: sha1, nonce: NONCE, pcrs: PCRS })),
    ).toBe("SIGNATURE_HASH_UNSUPPORTED");
  });

  it("fails for a signed attestation that is not a quote", () => {
    const certify = marshal(TPMS_ATTEST, {
      magic: TPM_GENERATED_VALUE,
      type: TPM_ST.ATTEST_CERTIFY,
      qualifiedSigner: new Uint8Array(34),
      extraData: NONCE,
      clockInfo: { clock: 1n, resetCount: 0, restartCount: 0, safe: true },
      firmwareVersion: 0n,
      attested: { name: new Uint8Array(34), qualifiedName: new Uint8Array(34) },
    });
    const sig = rsassa(rsa.privateKey, certify);
    expect(
      codeOf(() => verifyQuote({ akPublic, quoted: certify, signature: sig, nonce: NONCE, pcrs: PCRS })),
    ).toBe("QUOTE_NOT_A_QUOTE");
  });

  it("fails for signed data that does not start with TPM_GENERATED_VALUE", () => {
    const forged = attestBytes({ magic: 0xff544348 });
    const sig = rsassa(rsa.privateKey, forged);
    expect(
      codeOf(() => verifyQuote({ akPublic, quoted: forged, signature: sig, nonce: NONCE, pcrs: PCRS })),
    ).toBe("ATTEST_NOT_TPM_GENERATED");
  });

  it("fails for signed garbage with a typed error", () => {
    const junk = new Uint8Array(Buffer.concat([Buffer.from("ff544347", "hex"), Buffer.alloc(10, 0xee)]));
    const sig = rsassa(rsa.privateKey, junk);
    expect(
      codeOf(() => verifyQuote({ akPublic, quoted: junk, signature: sig, nonce: NONCE, pcrs: PCRS })),
    ).toBe("ATTEST_MALFORMED");
  });

  it("accepts RSAPSS from an RSAPSS AK", () => {
    const pssAk = akArea(rsa.publicKey, TPM_ALG.RSAPSS);
    const sig = rsapss(rsa.privateKey, quoted);
    expect(
      codeOf(() => verifyQuote({ akPublic: pssAk, quoted, signature: sig, nonce: NONCE, pcrs: PCRS })),
    ).toBe("ok");
  });

  it("accepts ECDSA from an ECDSA AK and fails it for a flipped bit of s", () => {
    const ecAk = akArea(ecc.publicKey, TPM_ALG.ECDSA);
    const sig = ecdsa(ecc.privateKey, quoted);
    expect(
      codeOf(() => verifyQuote({ akPublic: ecAk, quoted, signature: sig, nonce: NONCE, pcrs: PCRS })),
    ).toBe("ok");
    if (sig.sigAlg !== TPM_ALG.ECDSA) throw new Error("expected ECDSA");
    const s = Uint8Array.from(sig.signatureS);
    s[31] = (s[31] as number) ^ 1;
    const bad = { ...sig, signatureS: s };
    expect(
      codeOf(() => verifyQuote({ akPublic: ecAk, quoted, signature: bad, nonce: NONCE, pcrs: PCRS })),
    ).toBe("SIGNATURE_INVALID");
  });
});

describe("verifyQuote with quotes tpm2_quote made", () => {
  it("accepts the RSA AK's quote over sha256:0,1,2,16 + sha1:3", () => {
    const zeros256 = new Map(RSA_QUOTE.sha256.map((i) => [i, new Uint8Array(32)]));
    const zeros1 = new Map(RSA_QUOTE.sha1.map((i) => [i, new Uint8Array(20)]));
    const v = verifyQuote({
      akPublic: parsePublicArea(RSA_AK_PUB),
      quoted: RSA_QUOTE.message,
      signature: parseSignature(RSA_QUOTE.signature),
      nonce: RSA_QUOTE.nonce,
      pcrs: new Map([
        [TPM_ALG.SHA256, zeros256],
        [TPM_ALG.SHA1, zeros1],
      ]),
    });
    expect(v.selection).toEqual([
      { hashAlg: TPM_ALG.SHA256, pcrs: [0, 1, 2, 16] },
      { hashAlg: TPM_ALG.SHA1, pcrs: [3] },
    ]);
  });

  it("accepts the ECC AK's quote over sha256:16,23 with the values tpm2_quote -F values wrote", () => {
    const values = ECC_QUOTE.pcrValues;
    const bank = new Map(ECC_QUOTE.sha256.map((i, n) => [i, values.subarray(n * 32, n * 32 + 32)]));
    const input = {
      akPublic: parsePublicArea(ECC_AK_PUB),
      quoted: ECC_QUOTE.message,
      signature: parseSignature(ECC_QUOTE.signature),
      nonce: ECC_QUOTE.nonce,
      pcrs: new Map([[TPM_ALG.SHA256, bank]]),
    };
    expect(codeOf(() => verifyQuote(input))).toBe("ok");
    const changed = new Map([[TPM_ALG.SHA256, new Map([...bank, [23, new Uint8Array(32).fill(1)]])]]);
    expect(codeOf(() => verifyQuote({ ...input, pcrs: changed }))).toBe("QUOTE_PCR_DIGEST_MISMATCH");
  });
});

describe("parseSignature", () => {
  it("refuses truncated and unknown signatures as SIGNATURE_MALFORMED", () => {
    expect(codeOf(() => parseSignature(RSA_QUOTE.signature.subarray(0, 100)))).toBe("SIGNATURE_MALFORMED");
    expect(codeOf(() => parseSignature(Uint8Array.from([0x00, 0x99, 0x00, 0x0b])))).toBe(
      "SIGNATURE_MALFORMED",
    );
    expect(codeOf(() => parseSignature(new Uint8Array(0)))).toBe("SIGNATURE_MALFORMED");
  });
});
