import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type CborObject, decodeCbor, encodeCbor } from "./cbor.js";
import { signSign1 } from "./cose-sign1.js";
import { kidOf } from "./cose-verify.js";
import { CoseBadSignatureError, CoseUnknownKidError, FormatVersionError } from "./errors.js";
import { sodiumEd25519KeyPair } from "./keys.js";
import {
  decodeManifestPayload,
  encodeManifestPayload,
  ManifestInvalidError,
  type ManifestPayload,
  readManifestUnverified,
  signManifest,
  verifyManifest,
} from "./manifest.js";

function sample(): ManifestPayload {
  return {
    v: 1,
    serial: "SN-0001",
    hw_uuid: "6f1c2a4e-0000-4000-8000-000000000001",
    model: null,
    captured_at: 1_780_000_000,
    station: "line1",
    tpm: { manufacturer: "IFX", vendor: "SLB9670", fw: "7.85.0.0", spec: "2.0 level 0 revision 164" },
    eks: [
      {
        alg: "rsa2048",
        template: "L-1",
        pub: new Uint8Array([0, 2, 1, 2]),
        ek_pub_sha256: "ab".repeat(32),
        cert: new Uint8Array([0x30, 0x03, 1, 2, 3]),
        cert_nv: 0x01c00002,
        chain: [new Uint8Array([0x30, 0])],
      },
      {
        alg: "ecc-p384",
        template: "H-3",
        pub: new Uint8Array([0, 1, 9]),
        ek_pub_sha256: "cd".repeat(32),
        cert: null,
        cert_nv: null,
        chain: [],
      },
    ],
    platform_cert: null,
  };
}

/** Re-encodes the sample's payload with `change` applied to the decoded map. */
function mutated(change: (m: CborObject) => void): Uint8Array {
  const m = decodeCbor(encodeManifestPayload(sample())) as CborObject;
  change(m);
  return encodeCbor(m);
}

const station = () => sodiumEd25519KeyPair(generateKeyPairSync("ed25519").privateKey);

describe("manifest payload", () => {
  it("round-trips through deterministic CBOR", () => {
    const bytes = encodeManifestPayload(sample());
    expect(decodeManifestPayload(bytes)).toEqual(sample());
    expect(encodeManifestPayload(decodeManifestPayload(bytes))).toEqual(bytes);
  });

  it("refuses an unknown v, naming it", () => {
    const bytes = mutated((m) => {
      m["v"] = 2;
    });
    expect(() => decodeManifestPayload(bytes)).toThrow(FormatVersionError);
    expect(() => decodeManifestPayload(bytes)).toThrow(/device manifest has format version v=2/);
  });

  it.each([
    [
      "an unknown alg",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { alg: "rsa1024" }),
      /eks\[0\]\.alg/,
    ],
    [
      "an unknown template",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { template: "H-8" }),
      /template/,
    ],
    ["an unknown field", (m: CborObject) => Object.assign(m, { extra: 1 }), /unknown field "extra"/],
    ["a missing field", (m: CborObject) => delete m["station"], /no field "station"/],
    [
      "text where bytes belong",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { pub: "AAEC" }),
      /pub is not a byte string/,
    ],
    [
      "a cert without cert_nv",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { cert_nv: null }),
      /both or neither/,
    ],
    [
      "an ek_pub_sha256 written as hex text (a digest is a byte string on the wire)",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { ek_pub_sha256: "ab".repeat(32) }),
      /ek_pub_sha256 is not a byte string/,
    ],
    [
      "an ek_pub_sha256 of 31 bytes",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { ek_pub_sha256: new Uint8Array(31) }),
      /ek_pub_sha256 is not a 32-byte SHA-256 digest/,
    ],
    ["a negative captured_at", (m: CborObject) => Object.assign(m, { captured_at: -1 }), /captured_at/],
    ["no EKs", (m: CborObject) => Object.assign(m, { eks: [] }), /eks is empty/],
    [
      "an oversized pub",
      (m: CborObject) => Object.assign((m["eks"] as CborObject[])[0]!, { pub: new Uint8Array(5000) }),
      /larger than 4096/,
    ],
  ])("refuses %s", (_name, change, message) => {
    const bytes = mutated(change as (m: CborObject) => void);
    expect(() => decodeManifestPayload(bytes)).toThrow(ManifestInvalidError);
    expect(() => decodeManifestPayload(bytes)).toThrow(message);
  });

  it("refuses a payload that is not a map, and invalid payloads on encode", () => {
    expect(() => decodeManifestPayload(encodeCbor([1, 2]))).toThrow(/not a map/);
    expect(() => encodeManifestPayload({ ...sample(), serial: "" })).toThrow(/serial is empty/);
    const badHash = sample();
    (badHash.eks[0] as { ek_pub_sha256: string }).ek_pub_sha256 = "AB";
    expect(() => encodeManifestPayload(badHash)).toThrow(/ek_pub_sha256 is not 64 lowercase hex digits/);
  });
});

describe("signed manifest", () => {
  it("signs and verifies with the station key, by kid", async () => {
    const keys = station();
    const signed = await signManifest(sample(), keys);
    const kid = kidOf(keys.publicKey);
    const lookup = (k: Uint8Array) => (Buffer.from(k).equals(kid) ? keys.publicKey : undefined);
    const { payload, kid: got } = verifyManifest(signed, lookup);
    expect(payload).toEqual(sample());
    expect(got).toEqual(kid);
    expect(readManifestUnverified(signed).payload).toEqual(sample());
  });

  it("refuses another station's signature and an altered signature", async () => {
    const keys = station();
    const other = station();
    const signed = await signManifest(sample(), keys);
    expect(() => verifyManifest(signed, () => undefined)).toThrow(CoseUnknownKidError);
    expect(() => verifyManifest(signed, () => other.publicKey)).toThrow(CoseBadSignatureError);
    const flipped = signed.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(() => verifyManifest(flipped, () => keys.publicKey)).toThrow(CoseBadSignatureError);
  });

  it("checks v after the signature verifies", async () => {
    const keys = station();
    const signed = await signSign1(
      mutated((m) => {
        m["v"] = 7;
      }),
      keys,
    );
    expect(() => verifyManifest(signed, () => keys.publicKey)).toThrow(/v=7/);
  });
});
