import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { TPM_ALG, TPMA_OBJECT } from "../constants.js";
import type { RsaPublic, TpmtPublic } from "../structures/public.js";
import {
  akPublicViolations,
  checkAkPublic,
  checkEkPublic,
  ekPublicViolations,
  KeyAttributeError,
} from "./attributes.js";
import { parsePublicArea } from "./public-area.js";
import { keyObjectToPublicFields } from "./public-key.js";
import { ECC_AK_PUB, ECC_EK_PUB, RSA_AK_PUB, RSA_EK_PUB } from "./testdata/tpm2-tools.js";

const rsaAk = parsePublicArea(RSA_AK_PUB) as RsaPublic;
const rsaEk = parsePublicArea(RSA_EK_PUB);
const eccAk = parsePublicArea(ECC_AK_PUB);
const eccEk = parsePublicArea(ECC_EK_PUB);
const withAttrs = (pub: TpmtPublic, set: number, clear = 0): TpmtPublic => ({
  ...pub,
  objectAttributes: (pub.objectAttributes | set) & ~clear,
});
const caught = (f: () => void): KeyAttributeError => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KeyAttributeError);
    return e as KeyAttributeError;
  }
  throw new Error("did not throw");
};

describe("checkAkPublic", () => {
  it("accepts the RSA and ECC AKs tpm2_createak made", () => {
    expect(() => checkAkPublic(rsaAk)).not.toThrow();
    expect(() => checkAkPublic(eccAk)).not.toThrow();
  });

  it("refuses an AK without restricted: it would sign a forged quote", () => {
    const e = caught(() => checkAkPublic(withAttrs(rsaAk, 0, TPMA_OBJECT.restricted)));
    expect(e.code).toBe("AK_ATTRIBUTES_INVALID");
    expect(e.violations).toEqual([expect.stringMatching(/^restricted is clear/)]);
  });

  it("refuses an AK that can also decrypt", () => {
    const e = caught(() => checkAkPublic(withAttrs(eccAk, TPMA_OBJECT.decrypt)));
    expect(e.violations).toEqual([expect.stringMatching(/^decrypt is set/)]);
  });

  it("refuses a plain software signing key and lists every reason", () => {
    // What `openssl genrsa` + TPM2_LoadExternal or an imported key looks like: sign|decrypt|userWithAuth.
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const f = keyObjectToPublicFields(publicKey);
    if (f.type !== TPM_ALG.ECC) throw new Error("expected ECC");
    const soft: TpmtPublic = {
      type: TPM_ALG.ECC,
      nameAlg: TPM_ALG.SHA256,
      objectAttributes: TPMA_OBJECT.sign | TPMA_OBJECT.decrypt | TPMA_OBJECT.userWithAuth,
      authPolicy: new Uint8Array(0),
      parameters: {
        symmetric: { algorithm: TPM_ALG.NULL },
        scheme: { scheme: TPM_ALG.NULL },
        curveID: f.curveID,
        kdf: { scheme: TPM_ALG.NULL },
      },
      unique: f.unique,
    };
    const e = caught(() => checkAkPublic(soft));
    const named = e.violations.map((v) => v.split(" ")[0]);
    expect(named).toEqual([
      "fixedTPM",
      "fixedParent",
      "sensitiveDataOrigin",
      "restricted",
      "decrypt",
      "signing",
    ]);
    expect(e.message).toMatch(/^AK public area refused \(6 problem\(s\)\): fixedTPM is clear/);
  });

  it("refuses the EK used as an AK", () => {
    const names = akPublicViolations(rsaEk).map((v) => v.split(" ")[0]);
    expect(names).toEqual(expect.arrayContaining(["sign", "decrypt", "signing"]));
  });

  it("refuses a SHA-1 nameAlg, a SHA-1 signing hash and an RSA-1024 key", () => {
    expect(akPublicViolations({ ...rsaAk, nameAlg: TPM_ALG.SHA1 })).toEqual([
      expect.stringMatching(/^nameAlg is SHA1 \(0x0004\)/),
    ]);
    expect(
      akPublicViolations({
        ...rsaAk,
        parameters: { ...rsaAk.parameters, scheme: { scheme: TPM_ALG.RSASSA, hashAlg: TPM_ALG.SHA1 } },
      }),
    ).toEqual([expect.stringMatching(/^signing scheme hash is SHA1 \(0x0004\)/)]);
    expect(akPublicViolations({ ...rsaAk, parameters: { ...rsaAk.parameters, keyBits: 1024 } })).toEqual([
      expect.stringMatching(/^RSA key is 1024 bits/),
    ]);
  });

  it("accepts RSAPSS as an AK scheme and refuses RSAES", () => {
    const pss = {
      ...rsaAk,
      parameters: { ...rsaAk.parameters, scheme: { scheme: TPM_ALG.RSAPSS, hashAlg: TPM_ALG.SHA256 } },
    };
    expect(akPublicViolations(pss)).toEqual([]);
    const es = { ...rsaAk, parameters: { ...rsaAk.parameters, scheme: { scheme: TPM_ALG.RSAES } } };
    expect(akPublicViolations(es as TpmtPublic)).toEqual([expect.stringMatching(/^signing scheme is RSAES/)]);
  });
});

describe("checkEkPublic", () => {
  it("accepts the RSA and ECC EKs tpm2_createek made", () => {
    expect(() => checkEkPublic(rsaEk)).not.toThrow();
    expect(() => checkEkPublic(eccEk)).not.toThrow();
  });

  it("refuses the AK used as an EK", () => {
    const e = caught(() => checkEkPublic(rsaAk));
    expect(e.code).toBe("EK_ATTRIBUTES_INVALID");
    expect(e.violations.map((v) => v.split(" ")[0])).toEqual(["decrypt", "sign", "symmetric", "scheme"]);
  });

  it("refuses an EK that is not fixed to its TPM", () => {
    const e = caught(() =>
      checkEkPublic(withAttrs(eccEk, 0, TPMA_OBJECT.fixedTPM | TPMA_OBJECT.fixedParent)),
    );
    expect(e.violations.map((v) => v.split(" ")[0])).toEqual(["fixedTPM", "fixedParent"]);
  });

  it("refuses an EK without AES-CFB", () => {
    if (eccEk.type !== TPM_ALG.ECC) throw new Error("expected ECC");
    const noSym = { ...eccEk, parameters: { ...eccEk.parameters, symmetric: { algorithm: TPM_ALG.NULL } } };
    expect(ekPublicViolations(noSym)).toEqual([expect.stringMatching(/^symmetric algorithm is NULL/)]);
    const cbc = {
      ...eccEk,
      parameters: {
        ...eccEk.parameters,
        symmetric: { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CBC },
      },
    };
    expect(ekPublicViolations(cbc)).toEqual([
      expect.stringMatching(/^symmetric algorithm is AES-128 mode CBC/),
    ]);
  });
});
