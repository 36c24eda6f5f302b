// Bundles for the import benchmark (issue 5): COUNT devices, each with one ECC P-256 EK (L-2
// TPM2B_PUBLIC from a fresh key) and its EK certificate from one issuing CA, signed either
// sha256WithRSAEncryption (RSA-2048 CA) or ecdsa-with-SHA384 (P-384 CA), in one bundle signed
// by a bench station. Certificates are written as DER by ek-cert-der.ts (only the serial and
// the key change from one to the next) and signed on libuv's thread pool.
//
// Signing 300,000 certificates takes minutes, so a fixture is kept in node_modules/.cache and
// reused by later runs (its keys are the bench's own, never a secret of the product).
import { generateKeyPair, randomBytes } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { spkiSha256 } from "../../shared/ekcert/ek-pub-hash.js";
import { writeBundle } from "../../shared/formats/bundle.js";
import { sign1Signer } from "../../shared/formats/cose-sign1.js";
import { privateKeyPem, publicKeyPem, sodiumEd25519KeyPair } from "../../shared/formats/keys.js";
import { encodeManifestPayload } from "../../shared/formats/manifest.js";
import { EK_TEMPLATES } from "../../shared/tpm/ek/templates.js";
import type { EccPublic } from "../../shared/tpm/structures/public.js";
import { encodePublicArea } from "../../shared/tpm/verifier/index.js";
import { p256Key } from "../harness/p256-key.js";
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
} from "./ek-cert-der.js";

const generate = promisify(generateKeyPair);
const FIXTURE_VERSION = 1;
const IN_FLIGHT = 16;

export interface ImportFixture {
  dir: string;
  bundle: string;
  /** The station's Ed25519 public key (PEM) and name. */
  stationPub: string;
  station: string;
  /** The issuing CA (PEM file in its own directory, for cas import). */
  caDir: string;
  count: number;
  scheme: SignatureScheme;
}

export function fixtureDir(root: string, scheme: SignatureScheme, count: number): string {
  return join(
    root,
    `import-v${FIXTURE_VERSION}-${scheme === "sha256WithRSAEncryption" ? "rsa" : "p384"}-${count}`,
  );
}

/** The fixture, built unless a complete one is already in `root`. */
export async function importFixture(
  root: string,
  scheme: SignatureScheme,
  count: number,
  log: (line: string) => void,
): Promise<ImportFixture> {
  const dir = fixtureDir(root, scheme, count);
  const fixture: ImportFixture = {
    dir,
    bundle: join(dir, "bench-1.bundle"),
    stationPub: join(dir, "bench.pub"),
    station: "bench",
    caDir: join(dir, "ca"),
    count,
    scheme,
  };
  if (existsSync(join(dir, "complete"))) return fixture;
  await rm(dir, { recursive: true, force: true });
  await mkdir(fixture.caDir, { recursive: true });
  const t0 = performance.now();

  const caKeys =
    scheme === "sha256WithRSAEncryption"
      ? await generate("rsa", { modulusLength: 2048 })
      : await generate("ec", { namedCurve: "P-384" });
  const caSubject = name([
    [OID.country, "DE"],
    [OID.organization, "Bench TPM Vendor"],
    [OID.commonName, `Bench EK CA ${scheme}`],
  ]);
  const ca = await caCertificate({
    subject: caSubject,
    publicKey: caKeys.publicKey,
    privateKey: caKeys.privateKey,
    scheme,
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2049-12-31T23:59:59Z"),
    serial: serialBytes(1, randomBytes(8)),
  });
  await writeFile(
    join(fixture.caDir, "bench-ca.pem"),
    `-----BEGIN CERTIFICATE-----\n${Buffer.from(ca.der).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END CERTIFICATE-----\n`,
  );
  const template = compileLeafTemplate({
    issuer: caSubject,
    issuerSki: ca.ski,
    scheme,
    notBefore: new Date("2024-01-01T00:00:00Z"),
    notAfter: new Date("2044-01-01T00:00:00Z"),
    keyUsage: "keyAgreement",
    tpm: { manufacturer: "id:42454E43", model: "BENCH-TPM", version: "id:00010002" },
  });

  const station = await generate("ed25519");
  await writeFile(fixture.stationPub, publicKeyPem(station.publicKey));
  await writeFile(join(dir, "bench.key"), privateKeyPem(station.privateKey), { mode: 0o600 });
  const sign = await sign1Signer(sodiumEd25519KeyPair(station.privateKey));

  // Manifests first, length-prefixed, into a file: writeBundle walks its items twice.
  const items = join(dir, "manifests.bin");
  const out = await open(items, "w");
  const salt = randomBytes(8);
  const l2 = EK_TEMPLATES["L-2"].public as EccPublic;
  const one = async (i: number): Promise<Buffer> => {
    // createECDH, not generateKeyPair: see test/harness/p256-key.ts (a Node 20 deadlock).
    const { spki, unique } = p256Key();
    const pub = encodePublicArea({ ...l2, unique });
    const tbs = leafTbs(template, serialBytes(i + 2, salt), spki);
    const cert = certificate(tbs, scheme, await signTbs(scheme, tbs, caKeys.privateKey));
    const serial = `BENCH-${String(i).padStart(7, "0")}`;
    const manifest = sign(
      encodeManifestPayload({
        v: 1,
        serial,
        hw_uuid: null,
        model: "bench-board",
        captured_at: 1_780_000_000,
        station: fixture.station,
        tpm: { manufacturer: "BENC", vendor: "BENCH-TPM", fw: "1.2.3.4", spec: "2.0 level 0 revision 164" },
        eks: [
          {
            alg: "ecc-p256",
            template: "L-2",
            pub,
            ek_pub_sha256: spkiSha256(spki),
            cert,
            cert_nv: 0x01c0000a,
            chain: [],
          },
        ],
        platform_cert: null,
      }),
    );
    const head = Buffer.alloc(4);
    head.writeUInt32BE(manifest.length);
    return Buffer.concat([head, manifest]);
  };
  for (let start = 0; start < count; start += 1000) {
    const n = Math.min(1000, count - start);
    const chunk: Buffer[] = new Array(n);
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < n) {
          const i = next++;
          chunk[i] = await one(start + i);
        }
      }),
    );
    await out.write(Buffer.concat(chunk));
    if ((start / 1000) % 20 === 0) log(`  fixture ${scheme}: ${start + n}/${count} devices signed`);
  }
  await out.close();

  async function* manifests(): AsyncGenerator<Uint8Array> {
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of createReadStream(items, { highWaterMark: 1 << 20 })) {
      pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
      let at = 0;
      while (pending.length - at >= 4) {
        const length = pending.readUInt32BE(at);
        if (pending.length - at - 4 < length) break;
        yield new Uint8Array(pending.subarray(at + 4, at + 4 + length));
        at += 4 + length;
      }
      pending = pending.subarray(at);
    }
  }
  const bundleOut = await open(`${fixture.bundle}.part`, "w");
  for await (const chunk of writeBundle(
    () => manifests(),
    {
      bundle_id: `bench-${scheme}-${count}`,
      station: fixture.station,
      seq: 1,
      prev: null,
      created_at: 1_780_000_000,
    },
    sign,
  ))
    await bundleOut.write(chunk);
  await bundleOut.close();
  await rename(`${fixture.bundle}.part`, fixture.bundle);
  await rm(items);
  await writeFile(join(dir, "complete"), `${count}\n`);
  log(`  fixture ${scheme} ${count}: built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return fixture;
}
