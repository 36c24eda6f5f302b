// The device manifest kind of `factory inspect`: decode, and with --station-pub verify the
// signature (node:crypto, shared/formats/cose-verify) against that station's key.
import { readFile, stat } from "node:fs/promises";
import { EXIT, type ExitStatus } from "../../../shared/cli/args.js";
import { kidOf } from "../../../shared/formats/cose-verify.js";
import {
  CborError,
  CoseError,
  CoseUnknownKidError,
  FormatVersionError,
  KeyFileError,
} from "../../../shared/formats/errors.js";
import { rawPublicKey, readPublicKey } from "../../../shared/formats/keys.js";
import {
  MANIFEST_LIMITS,
  ManifestInvalidError,
  type ManifestPayload,
  readManifestUnverified,
  type VerifiedManifest,
  verifyManifest,
} from "../../../shared/formats/manifest.js";
import type { InspectRequest } from "../kinds.js";
import { hex } from "../util.js";

const PREFIX = "factory inspect";

export async function inspectManifest(request: InspectRequest): Promise<ExitStatus> {
  const { file, io, stationPub } = request;
  if ((await stat(file)).size > MANIFEST_LIMITS.maxBytes) {
    io.err(`${PREFIX}: ${file} is larger than a manifest may be (${MANIFEST_LIMITS.maxBytes} bytes)\n`);
    return EXIT.rejected;
  }
  const bytes = new Uint8Array(await readFile(file));

  let key: { path: string; raw: Uint8Array; kid: Uint8Array } | undefined;
  if (stationPub !== undefined) {
    try {
      const raw = rawPublicKey(await readPublicKey(stationPub, "ed25519"));
      key = { path: stationPub, raw, kid: kidOf(raw) };
    } catch (error) {
      if (error instanceof KeyFileError) {
        io.err(`${PREFIX}: ${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
  }

  let manifest: VerifiedManifest;
  try {
    manifest = key
      ? verifyManifest(bytes, (kid) => (Buffer.from(kid).equals(key.kid) ? key.raw : undefined))
      : readManifestUnverified(bytes);
  } catch (error) {
    if (error instanceof CoseUnknownKidError && key) {
      io.err(
        `${PREFIX}: REJECTED ${file}: signed by key id ${hex(error.kid)}, not by ${key.path} ` +
          `(key id ${hex(key.kid)}): this manifest comes from another station or its key\n`,
      );
      return EXIT.rejected;
    }
    if (
      error instanceof CoseError ||
      error instanceof CborError ||
      error instanceof FormatVersionError ||
      error instanceof ManifestInvalidError
    ) {
      io.err(`${PREFIX}: REJECTED ${file}: ${error.message}\n`);
      return EXIT.rejected;
    }
    throw error;
  }

  const verified = key !== undefined;
  if (request.json) {
    io.out(
      `${JSON.stringify({ kind: "manifest", file, verified, kid: hex(manifest.kid), manifest: toJson(manifest.payload) })}\n`,
    );
  } else {
    io.out(describe(file, manifest, key?.path));
  }
  if (!verified) io.err(`warning: signature NOT verified (give --station-pub NAME.pub to verify it)\n`);
  return EXIT.ok;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

function toJson(p: ManifestPayload): unknown {
  return {
    ...p,
    tpm: { ...p.tpm },
    eks: p.eks.map((ek) => ({
      ...ek,
      pub: b64(ek.pub),
      cert: ek.cert === null ? null : b64(ek.cert),
      chain: ek.chain.map(b64),
    })),
    platform_cert: p.platform_cert === null ? null : b64(p.platform_cert),
  };
}

function nv(index: number): string {
  return `0x${index.toString(16).toUpperCase().padStart(8, "0")}`;
}

function describe(file: string, m: VerifiedManifest, pubPath: string | undefined): string {
  const p = m.payload;
  const lines = [
    `device manifest ${file}`,
    `  signature:     ${pubPath ? `verified with ${pubPath}` : "NOT verified"} (kid ${hex(m.kid)})`,
    `  serial:        ${p.serial}`,
    `  hw_uuid:       ${p.hw_uuid ?? "-"}`,
    `  model:         ${p.model ?? "-"}`,
    `  station:       ${p.station}`,
    `  captured_at:   ${new Date(p.captured_at * 1000).toISOString()} (${p.captured_at})`,
    `  tpm:           ${p.tpm.manufacturer} "${p.tpm.vendor}", firmware ${p.tpm.fw}, spec ${p.tpm.spec}`,
    `  eks:           ${p.eks.length}`,
    ...p.eks.map(
      (ek) =>
        `    ${ek.template.padEnd(4)} ${ek.alg.padEnd(8)} ${ek.ek_pub_sha256}  pub ${ek.pub.length} bytes, ` +
        (ek.cert === null || ek.cert_nv === null
          ? "no certificate"
          : `cert ${ek.cert.length} bytes from NV ${nv(ek.cert_nv)}`) +
        `, chain ${ek.chain.length}`,
    ),
    `  platform_cert: ${p.platform_cert === null ? "none" : `${p.platform_cert.length} bytes`}`,
  ];
  return `${lines.join("\n")}\n`;
}
