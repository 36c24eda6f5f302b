// The bundle kinds of `factory inspect` (DESIGN §5): a plain bundle, verified with
// --station-pub (header signature once, each item's digest as it streams past, each manifest's
// own signature), and a sealed bundle, opened first with --registrar-key.
import { createPublicKey } from "node:crypto";
import { createReadStream } from "node:fs";
import { EXIT, type ExitStatus } from "../../../shared/cli/args.js";
import { readBundle } from "../../../shared/formats/bundle.js";
import { readSequence } from "../../../shared/formats/cbor.js";
import { kidOf } from "../../../shared/formats/cose-verify.js";
import {
  BundleError,
  CborError,
  CoseError,
  CoseUnknownKidError,
  FormatVersionError,
  KeyFileError,
  SealError,
  SealMalformedError,
} from "../../../shared/formats/errors.js";
import { rawPublicKey, readPrivateKey, readPublicKey } from "../../../shared/formats/keys.js";
import { ManifestInvalidError, verifyManifest } from "../../../shared/formats/manifest.js";
import { openStream, parseSealHeader } from "../../../shared/formats/seal.js";
import type { InspectRequest } from "../kinds.js";
import { hex } from "../util.js";

const PREFIX = "factory inspect";

export async function inspectBundle(request: InspectRequest, sealed: boolean): Promise<ExitStatus> {
  const { file, io } = request;
  const kindName = sealed ? "sealed bundle" : "bundle";
  let sealedTo: Uint8Array | undefined;
  const fileStream = createReadStream(file, { highWaterMark: 64 * 1024 });
  let source: AsyncIterable<Uint8Array> = fileStream;

  try {
    if (sealed) {
      sealedTo = await sealedHeaderKid(file);
      if (request.registrarKey === undefined) {
        if (request.json)
          io.out(`${JSON.stringify({ kind: kindName, file, opened: false, sealed_to: hex(sealedTo) })}\n`);
        else
          io.out(
            `sealed bundle ${file}\n  sealed_to:     ${hex(sealedTo)} (kid of the registrar's X25519 key)\n`,
          );
        io.err(
          `${PREFIX}: ${file} is sealed: give --registrar-key registrar.x25519.key (the registrar's ` +
            "private key) to open and check it\n",
        );
        return EXIT.rejected;
      }
    }
    if (request.stationPub === undefined) {
      io.err(`${PREFIX}: ${file} is a ${kindName}: give --station-pub NAME.pub to verify its header\n`);
      return EXIT.usage;
    }

    let stationRaw: Uint8Array;
    let registrar:
      | {
          publicKey: ReturnType<typeof createPublicKey>;
          privateKey: Awaited<ReturnType<typeof readPrivateKey>>;
        }
      | undefined;
    try {
      stationRaw = rawPublicKey(await readPublicKey(request.stationPub, "ed25519"));
      if (sealed && request.registrarKey !== undefined) {
        const privateKey = await readPrivateKey(request.registrarKey, "x25519");
        registrar = { privateKey, publicKey: createPublicKey(privateKey) };
      }
    } catch (error) {
      if (error instanceof KeyFileError) {
        io.err(`${PREFIX}: ${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
    const stationKid = kidOf(stationRaw);
    const lookup = (kid: Uint8Array) => (Buffer.from(kid).equals(stationKid) ? stationRaw : undefined);
    if (registrar) source = openStream(source, registrar);

    const opened = await readBundle(source, { stationKeys: lookup });
    const manifests: { serial: string; eks: { alg: string; template: string; ek_pub_sha256: string }[] }[] =
      [];
    for await (const item of opened.items) {
      const { payload } = verifyManifest(item.bytes, lookup);
      manifests.push({
        serial: payload.serial,
        eks: payload.eks.map((ek) => ({
          alg: ek.alg,
          template: ek.template,
          ek_pub_sha256: ek.ek_pub_sha256,
        })),
      });
    }
    const h = opened.header;
    const digest = hex(opened.digest());
    const header = {
      v: h.v,
      bundle_id: h.bundle_id,
      station: h.station,
      seq: h.seq,
      prev: h.prev === null ? null : hex(h.prev),
      created_at: h.created_at,
      count: h.count,
    };
    if (request.json) {
      io.out(
        `${JSON.stringify({
          kind: kindName,
          file,
          verified: true,
          kid: hex(opened.kid),
          ...(sealedTo ? { sealed_to: hex(sealedTo) } : {}),
          digest,
          header,
          manifests,
        })}\n`,
      );
    } else {
      const lines = [
        `${kindName} ${file}`,
        ...(sealedTo ? [`  sealed_to:     ${hex(sealedTo)} (opened with ${request.registrarKey})`] : []),
        `  signature:     verified with ${request.stationPub} (kid ${hex(opened.kid)})`,
        `  bundle_id:     ${h.bundle_id}`,
        `  station:       ${h.station}`,
        `  seq:           ${h.seq}`,
        `  prev:          ${header.prev ?? "none (first bundle)"}`,
        `  created_at:    ${new Date(h.created_at * 1000).toISOString()} (${h.created_at})`,
        `  sha256 plain:  ${digest}`,
        `  manifests:     ${h.count} (every digest checked)`,
        ...manifests.map(
          (m) =>
            `    ${m.serial}  ${m.eks.map((ek) => `${ek.template}/${ek.alg} ${ek.ek_pub_sha256}`).join(", ")}`,
        ),
      ];
      io.out(`${lines.join("\n")}\n`);
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CoseUnknownKidError) {
      io.err(
        `${PREFIX}: REJECTED ${file}: signed by key id ${hex(error.kid)}, not by ${request.stationPub}: ` +
          "this bundle comes from another station or its key\n",
      );
      return EXIT.rejected;
    }
    if (
      error instanceof BundleError ||
      error instanceof SealError ||
      error instanceof CoseError ||
      error instanceof CborError ||
      error instanceof FormatVersionError ||
      error instanceof ManifestInvalidError
    ) {
      io.err(`${PREFIX}: REJECTED ${file}: ${error.message}\n`);
      return EXIT.rejected;
    }
    throw error;
  } finally {
    fileStream.destroy();
  }
}

/** The `sealed_to` kid of a sealed file's header (checked). */
async function sealedHeaderKid(file: string): Promise<Uint8Array> {
  const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
  try {
    for await (const item of readSequence(stream, { maxBytes: 1024 }))
      return parseSealHeader(item.value).sealed_to;
    throw new SealMalformedError("the sealed file is empty (no header)");
  } finally {
    stream.destroy();
  }
}
