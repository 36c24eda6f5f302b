// EK-verify benchmark (issue 3): verifyEkCertificate over 10,000 RSA-2048-signed
// (sha256WithRSAEncryption) and 2,000 ECDSA-P-384-signed (ecdsa-with-SHA384) EK-shaped certs
// from three issuers, with one CaStore, against the raw cost of the same signatures: crypto.verify
// of the same TBS bytes and signature with the issuers' keys, measured in the same run.
// Target: within 3x of raw (DESIGN §4: the bulk path needs a lean DER walker and cached issuers).
import { generateKeyPair, type KeyObject, randomBytes, verify } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type CaStore, loadCaDir, verifyEkCertificate } from "../../shared/ekcert/index.js";
import {
  caCertificate,
  certificate,
  compileLeafTemplate,
  leafTbs,
  name,
  OID,
  type SignatureScheme,
  serialBytes,
  signTbs,
  spkiOf,
} from "./ek-cert-der.js";
import type { BenchContext, BenchMeasurement, Benchmark } from "./types.js";

const SIZES = { rsa: 10_000, ecc: 2_000 } as const;
/** Distinct EK keys per family: the cost under test is the issuer's signature, not the leaf key. */
const LEAF_KEYS = 4;
/** Signatures in flight at once (node:crypto signs on libuv's thread pool). */
const SIGN_CONCURRENCY = 8;
/** Timed passes over each set; the fastest counts (the least disturbed by GC and the OS). */
const ROUNDS = 3;
const AT = new Date("2026-06-01T00:00:00Z");

const generate = promisify(generateKeyPair);

interface Issuer {
  label: string;
  scheme: SignatureScheme;
  der: Uint8Array;
  ski: Uint8Array;
  subject: Uint8Array;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** One benchmark certificate, with what the raw baseline needs kept beside it. */
interface Sample {
  der: Uint8Array;
  tbs: Uint8Array;
  signature: Uint8Array;
  hash: "sha256" | "sha384";
  issuerKey: KeyObject;
}

async function keyPair(kind: "rsa" | "p384"): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return kind === "rsa" ? generate("rsa", { modulusLength: 2048 }) : generate("ec", { namedCurve: "P-384" });
}

async function makeIssuer(label: string, scheme: SignatureScheme): Promise<Issuer> {
  const { publicKey, privateKey } = await keyPair(scheme === "sha256WithRSAEncryption" ? "rsa" : "p384");
  const subject = name([
    [OID.country, "DE"],
    [OID.organization, "Bench TPM Vendor"],
    [OID.commonName, label],
  ]);
  const { der, ski } = await caCertificate({
    subject,
    publicKey,
    privateKey,
    scheme,
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2049-12-31T23:59:59Z"),
    serial: serialBytes(1, randomBytes(8)),
  });
  return { label, scheme, der, ski, subject, publicKey, privateKey };
}

async function makeSamples(
  ctx: BenchContext,
  label: string,
  count: number,
  issuers: readonly Issuer[],
  leafKeys: readonly Uint8Array[],
): Promise<Sample[]> {
  const templates = issuers.map((issuer) =>
    compileLeafTemplate({
      issuer: issuer.subject,
      issuerSki: issuer.ski,
      scheme: issuer.scheme,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2044-01-01T00:00:00Z"),
      keyUsage: issuer.scheme === "sha256WithRSAEncryption" ? "keyEncipherment" : "keyAgreement",
      tpm: { manufacturer: "id:42454E43", model: "BENCH-TPM", version: "id:00010002" },
    }),
  );
  const salt = randomBytes(8);
  const samples = new Array<Sample>(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const issuer = issuers[i % issuers.length]!;
      const template = templates[i % templates.length]!;
      const tbs = leafTbs(template, serialBytes(i + 2, salt), leafKeys[i % leafKeys.length]!);
      const signature = await signTbs(issuer.scheme, tbs, issuer.privateKey);
      samples[i] = {
        der: certificate(tbs, issuer.scheme, signature),
        tbs,
        signature,
        hash: issuer.scheme === "sha256WithRSAEncryption" ? "sha256" : "sha384",
        issuerKey: issuer.publicKey,
      };
      done++;
      if (done % 250 === 0 || done === count) ctx.progress(`generating ${label} certs`, done, count);
    }
  };
  await Promise.all(Array.from({ length: SIGN_CONCURRENCY }, worker));
  return samples;
}

function rawVerifyAll(samples: readonly Sample[]): void {
  for (const [i, s] of samples.entries()) {
    if (!verify(s.hash, s.tbs, s.issuerKey, s.signature)) {
      throw new Error(`raw crypto.verify refused benchmark cert #${i}: the generator is broken`);
    }
  }
}

function ekVerifyAll(samples: readonly Sample[], store: CaStore): void {
  for (const [i, s] of samples.entries()) {
    const result = verifyEkCertificate(s.der, { store, at: AT });
    if (!result.ok) throw new Error(`verifyEkCertificate refused benchmark cert #${i}: ${result.reason}`);
  }
}

/** Seconds for the fastest of ROUNDS passes. */
function fastest(fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}

function measureFamily(
  ctx: BenchContext,
  metric: string,
  samples: readonly Sample[],
  store: CaStore,
): BenchMeasurement {
  // Warm-up: JIT, the store's issuer cache, OpenSSL's key setup.
  const warm = samples.slice(0, Math.min(samples.length, 200));
  rawVerifyAll(warm);
  ekVerifyAll(warm, store);
  ctx.log(`timing ${metric}: ${samples.length} certs, best of ${ROUNDS} passes each`);
  const raw = fastest(() => rawVerifyAll(samples));
  const ours = fastest(() => ekVerifyAll(samples, store));
  return {
    metric,
    value: samples.length / ours,
    unit: "certs/s",
    higherIsBetter: true,
    baseline: samples.length / raw,
    baselineLabel: "raw crypto.verify of the same TBS bytes and signatures, issuers' KeyObjects ready",
    target: { kind: "maxCostRatio", value: 3 },
  };
}

async function run(ctx: BenchContext): Promise<BenchMeasurement[]> {
  const nRsa = Math.max(1, Math.round(SIZES.rsa * ctx.scale));
  const nEcc = Math.max(1, Math.round(SIZES.ecc * ctx.scale));

  ctx.log("making issuers (2 RSA-2048 CAs, 1 P-384 CA) and EK keys");
  const [rsaA, rsaB, ecc] = await Promise.all([
    makeIssuer("Bench RSA EK CA 1", "sha256WithRSAEncryption"),
    makeIssuer("Bench RSA EK CA 2", "sha256WithRSAEncryption"),
    makeIssuer("Bench ECC P-384 EK CA", "ecdsa-with-SHA384"),
  ]);
  const nKeys = (n: number) => Math.min(LEAF_KEYS, n);
  const rsaLeafKeys = await Promise.all(
    Array.from({ length: nKeys(nRsa) }, async () => spkiOf((await keyPair("rsa")).publicKey)),
  );
  const eccLeafKeys = await Promise.all(
    Array.from({ length: nKeys(nEcc) }, async () => spkiOf((await keyPair("p384")).publicKey)),
  );

  const rsaSamples = await makeSamples(ctx, "RSA-2048-signed", nRsa, [rsaA, rsaB], rsaLeafKeys);
  const eccSamples = await makeSamples(ctx, "ECDSA-P-384-signed", nEcc, [ecc], eccLeafKeys);

  const dir = await mkdtemp(join(tmpdir(), "ek-verify-bench-"));
  try {
    for (const [i, issuer] of [rsaA, rsaB, ecc].entries()) {
      const lines =
        Buffer.from(issuer.der)
          .toString("base64")
          .match(/.{1,64}/g) ?? [];
      const pem = ["-----BEGIN CERTIFICATE-----", ...lines, "-----END CERTIFICATE-----", ""].join("\n");
      await writeFile(join(dir, `ca-${i}.pem`), pem);
    }
    const { store, loaded, skipped } = await loadCaDir(dir);
    if (loaded !== 3 || skipped.length > 0) {
      throw new Error(`the CA store loaded ${loaded} of 3 bench CAs: ${JSON.stringify(skipped)}`);
    }
    return [
      measureFamily(ctx, "ek-verify RSA-2048 signed (sha256WithRSAEncryption)", rsaSamples, store),
      measureFamily(ctx, "ek-verify ECDSA-P-384 signed (ecdsa-with-SHA384)", eccSamples, store),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const benchmark: Benchmark = { name: "ek-verify", run };
