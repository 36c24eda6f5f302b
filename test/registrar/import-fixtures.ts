// Test material for the import tests (issue 5): stations with real Ed25519 keys, software EKs
// (P-256 keys, TPM2B_PUBLIC areas and EK certificates from the test PKI's CAs), manifests
// signed like a factory station signs them, and bundles.
//
// EK certificates come from the harness's issueEkCert (one certificate, built with
// @peculiar/x509) or, for volume, from fastEkCerts: a certificate issued by issueEkCert is the
// template, and each new one is that template with the EK's key and a fresh serial put in
// place and the TBS re-signed with the CA's key by node:crypto (a few tens of µs each).
import { createHash, createPrivateKey, type KeyObject, randomBytes, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseCertificate } from "../../shared/ekcert/certificate.js";
import { readTlv } from "../../shared/ekcert/der.js";
import { type BundleHeaderFields, buildBundle } from "../../shared/formats/bundle.js";
import { type Sign1Signer, sign1Signer } from "../../shared/formats/cose-sign1.js";
import { rawPublicKey, sodiumEd25519KeyPair, writeKeyPair } from "../../shared/formats/keys.js";
import {
  encodeManifestPayload,
  type ManifestEk,
  type ManifestPayload,
} from "../../shared/formats/manifest.js";
import { TPM_ALG } from "../../shared/tpm/constants.js";
import { encodePublicArea } from "../../shared/tpm/verifier/public-area.js";
import { keyObjectToPublicFields } from "../../shared/tpm/verifier/public-key.js";
import { issueEkCert, type P256Key, p256Key, type TestCa } from "../harness/index.js";

export interface TestStation {
  name: string;
  /** Raw 32-byte Ed25519 public key (what `stations add` stores). */
  publicKey: Uint8Array;
  pubPath: string;
  sign: Sign1Signer;
}

export async function makeStation(dir: string, name: string): Promise<TestStation> {
  const written = await writeKeyPair(dir, name, "ed25519");
  const privateKey = createPrivateKey(await readFile(written.keyPath, "utf8"));
  const pair = sodiumEd25519KeyPair(privateKey);
  return {
    name,
    publicKey: rawPublicKey(privateKey),
    pubPath: written.pubPath,
    sign: await sign1Signer(pair),
  };
}

export const sha256hex = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** The TPM2B_PUBLIC of an ECC P-256 EK (template L-2 shape) around a software key. */
export function eccEkPub(key: KeyObject | P256Key): Uint8Array {
  const f =
    "unique" in key
      ? { type: TPM_ALG.ECC, curveID: 0x0003, unique: key.unique }
      : keyObjectToPublicFields(key);
  if (f.type !== TPM_ALG.ECC) throw new Error("expected an ECC key");
  return encodePublicArea({
    type: TPM_ALG.ECC,
    nameAlg: TPM_ALG.SHA256,
    objectAttributes: 0x000300b2,
    authPolicy: new Uint8Array(32),
    parameters: {
      symmetric: { algorithm: TPM_ALG.AES, keyBits: 128, mode: TPM_ALG.CFB },
      scheme: { scheme: TPM_ALG.NULL },
      curveID: f.curveID,
      kdf: { scheme: TPM_ALG.NULL },
    },
    unique: f.unique,
  });
}

export interface SoftwareEk {
  ek: ManifestEk;
  spki: Uint8Array;
}

/** A fresh P-256 EK with a certificate from `issuer` (null: no certificate). */
export async function softwareEk(issuer: TestCa | null): Promise<SoftwareEk> {
  const key = p256Key();
  const spki = key.spki;
  const cert = issuer ? await issueEkCert({ issuer, ekPublicKey: spki }) : null;
  return {
    spki,
    ek: {
      alg: "ecc-p256",
      template: "L-2",
      pub: eccEkPub(key),
      ek_pub_sha256: sha256hex(spki),
      cert,
      cert_nv: cert ? 0x01c0000a : null,
      chain: [],
    },
  };
}

export function payload(
  serial: string,
  station: string,
  eks: ManifestEk[],
  capturedAt?: number,
): ManifestPayload {
  return {
    v: 1,
    serial,
    hw_uuid: null,
    model: "edge-gateway",
    captured_at: capturedAt ?? Math.floor(Date.now() / 1000),
    station,
    tpm: { manufacturer: "IBM", vendor: "SW   TPM", fw: "1.2.3.4", spec: "2.0 level 0 revision 164" },
    eks,
    platform_cert: null,
  };
}

export function signManifestWith(station: TestStation, p: ManifestPayload): Uint8Array {
  return station.sign(encodeManifestPayload(p));
}

export async function makeBundle(
  station: TestStation,
  fields: Partial<BundleHeaderFields> & { seq: number; prev: Uint8Array | null },
  manifests: readonly Uint8Array[],
): Promise<Uint8Array> {
  return buildBundle(
    manifests,
    {
      bundle_id: fields.bundle_id ?? `${station.name}-${fields.seq}-${randomBytes(4).toString("hex")}`,
      station: fields.station ?? station.name,
      seq: fields.seq,
      prev: fields.prev,
      created_at: fields.created_at ?? Math.floor(Date.now() / 1000),
    },
    station.sign,
  );
}

// ---------------------------------------------------------------------------------------------
// Many EK certificates, fast

function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(parts);
  return new Uint8Array(Buffer.concat([Uint8Array.of(tag), derLength(body.length), body]));
}

/**
 * Issues EK certificates for P-256 keys quickly: a template from issueEkCert, its SPKI and
 * serial replaced (same lengths), its TBS re-signed with the CA's key (ECDSA or RSA).
 */
export async function fastEkCerts(issuer: TestCa): Promise<(spki: Uint8Array) => Uint8Array> {
  const first = (await softwareEk(issuer)).ek;
  const template = parseCertificate(first.cert!);
  const der = Buffer.from(first.cert!);
  const outer = readTlv(der, 0);
  const tbsTlv = readTlv(der, outer.start + outer.headerLength);
  const algTlv = readTlv(der, tbsTlv.end);
  const sigAlg = der.subarray(algTlv.start, algTlv.end);
  const tbs = Buffer.from(template.tbs);
  const spkiAt = tbs.indexOf(Buffer.from(template.spki));
  const serialBytes = Buffer.from(template.serial.replace(/:/g, ""), "hex");
  const serialAt = tbs.indexOf(serialBytes);
  if (spkiAt < 0 || serialAt < 0) throw new Error("fastEkCerts: template fields not found");
  const key = createPrivateKey(await readFile(issuer.keyPath, "utf8"));
  const hash = issuer.keyAlg === "ecc-p384" ? "sha384" : "sha256";
  return (spki) => {
    if (spki.length !== template.spki.length) throw new Error("fastEkCerts: P-256 keys only");
    const next = Buffer.from(tbs);
    next.set(spki, spkiAt);
    const serial = randomBytes(serialBytes.length);
    serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x10;
    next.set(serial, serialAt);
    const signature = sign(hash, next, key);
    return tlv(0x30, next, sigAlg, tlv(0x03, Uint8Array.of(0), signature));
  };
}
