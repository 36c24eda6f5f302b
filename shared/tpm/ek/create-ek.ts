// Recreating the EK from its template (TCG EK Credential Profile §2.2.1): CreatePrimary in the
// endorsement hierarchy always yields the same key for the same template, so the template (and
// an optional nonce) kept in NV override the profile's default, exactly as the profile says.
import { timingSafeEqual } from "node:crypto";
import { password } from "../auth.js";
import { unmarshal } from "../codec/codec.js";
import { CreatePrimary } from "../commands/create-primary.js";
import { ReadPublic } from "../commands/read-public.js";
import { TPM_ALG } from "../constants.js";
import { listNvIndices, nvReadAll } from "../nv/read.js";
import { TPMT_PUBLIC, type TpmtPublic } from "../structures/public.js";
import type { Tpm } from "../tpm.js";
import { asHandle, type Handle, hexHandle, TPM_RH } from "../types.js";
import { EK_TEMPLATES, type EkTemplate, type EkTemplateName } from "./templates.js";

export class EkError extends Error {
  override readonly name = "EkError";
  constructor(
    readonly code: "EK_TEMPLATE_INVALID" | "EK_PERSISTENT_MISMATCH",
    message: string,
  ) {
    super(message);
  }
}

export interface Ek {
  readonly handle: Handle;
  /** True for a transient EK that the caller must flush; false for a persistent one. */
  readonly transient: boolean;
  readonly public: TpmtPublic;
  readonly name: Uint8Array;
  readonly template: EkTemplate;
  /** Where the public template came from. */
  readonly source: "default" | "nv-template" | "persistent";
  /** True when an EK nonce from NV was laid into `unique` (low range only). */
  readonly nvNonce: boolean;
}

/**
 * The template the profile says to use on this TPM: the default, or the TPMT_PUBLIC at the
 * template index, with the nonce at the nonce index (low range) laid into `unique`.
 */
export async function resolveEkTemplate(
  tpm: Tpm,
  template: EkTemplate,
  defined?: Set<number>,
): Promise<{ public: TpmtPublic; source: "default" | "nv-template"; nvNonce: boolean }> {
  const indices = defined ?? (await listNvIndices(tpm));
  let pub = template.public;
  let source: "default" | "nv-template" = "default";
  if (indices.has(template.templateIndex)) {
    const raw = await nvReadAll(tpm, template.templateIndex);
    try {
      pub = unmarshal(TPMT_PUBLIC, raw);
    } catch (err) {
      throw new EkError(
        "EK_TEMPLATE_INVALID",
        `the EK template at NV ${hexHandle(template.templateIndex)} is not a valid TPMT_PUBLIC (${(err as Error).message})`,
      );
    }
    if (pub.type !== template.public.type) {
      throw new EkError(
        "EK_TEMPLATE_INVALID",
        `the EK template at NV ${hexHandle(template.templateIndex)} is of type 0x${pub.type.toString(16)}, not the ${template.alg} its certificate index implies`,
      );
    }
    source = "nv-template";
  }
  const nvNonce = template.nonceIndex !== undefined && indices.has(template.nonceIndex);
  if (template.nonceIndex !== undefined && nvNonce)
    pub = withNonce(pub, await nvReadAll(tpm, template.nonceIndex));
  return { public: pub, source, nvNonce };
}

/** Profile §2.2.1.5.2: the nonce fills the start of `unique` (x for ECC), zero-padded to the key size. */
function withNonce(pub: TpmtPublic, nonce: Uint8Array): TpmtPublic {
  const pad = (size: number) => {
    if (nonce.length > size) {
      throw new EkError(
        "EK_TEMPLATE_INVALID",
        `the EK nonce is ${nonce.length} bytes, longer than the ${size}-byte unique field`,
      );
    }
    const out = new Uint8Array(size);
    out.set(nonce);
    return out;
  };
  if (pub.type === TPM_ALG.RSA) return { ...pub, unique: pad(pub.parameters.keyBits / 8) };
  if (pub.type === TPM_ALG.ECC) {
    const size = pub.unique.x.length || 32;
    return { ...pub, unique: { x: pad(size), y: new Uint8Array(size) } };
  }
  return pub;
}

export interface CreateEkOptions {
  /** The endorsement hierarchy's auth value, empty by default. */
  endorsementAuth?: Uint8Array;
  /** NV indices already listed by the caller, to save a round trip. */
  definedIndices?: Set<number>;
}

/** Creates the EK of a template as a transient object; flush it with `tpm.flush(ek.handle)`. */
export async function createEk(tpm: Tpm, name: EkTemplateName, options: CreateEkOptions = {}): Promise<Ek> {
  const template = EK_TEMPLATES[name];
  const resolved = await resolveEkTemplate(tpm, template, options.definedIndices);
  const out = await tpm.run(
    CreatePrimary,
    {
      primaryHandle: TPM_RH.ENDORSEMENT,
      inSensitive: { userAuth: new Uint8Array(), data: new Uint8Array() },
      inPublic: resolved.public,
      outsideInfo: new Uint8Array(),
      creationPCR: [],
    },
    [password(options.endorsementAuth)],
  );
  return {
    handle: out.objectHandle,
    transient: true,
    public: out.outPublic,
    name: out.name,
    template,
    source: resolved.source,
    nvNonce: resolved.nvNonce,
  };
}

/**
 * Uses an EK the platform made persistent. Its public area must match the template in every
 * field but `unique`, or it is not the EK the certificate speaks of.
 */
export async function persistentEk(tpm: Tpm, handle: number, name: EkTemplateName): Promise<Ek> {
  const template = EK_TEMPLATES[name];
  const { outPublic, name: ekName } = await tpm.run(ReadPublic, { objectHandle: asHandle(handle) });
  const expected = template.public;
  const problems: string[] = [];
  if (outPublic.type !== expected.type) problems.push("key type");
  if (outPublic.nameAlg !== expected.nameAlg) problems.push("nameAlg");
  if (outPublic.objectAttributes !== expected.objectAttributes) {
    problems.push(
      `attributes 0x${outPublic.objectAttributes.toString(16)} (expected 0x${expected.objectAttributes.toString(16)})`,
    );
  }
  if (
    outPublic.authPolicy.length !== expected.authPolicy.length ||
    !timingSafeEqual(outPublic.authPolicy, expected.authPolicy)
  ) {
    problems.push("authPolicy");
  }
  if (JSON.stringify(outPublic.parameters) !== JSON.stringify(expected.parameters))
    problems.push("parameters");
  if (problems.length > 0) {
    throw new EkError(
      "EK_PERSISTENT_MISMATCH",
      `the key at ${hexHandle(handle)} is not a ${name} EK: its ${problems.join(", ")} differ from the template`,
    );
  }
  return {
    handle: asHandle(handle),
    transient: false,
    public: outPublic,
    name: ekName,
    template,
    source: "persistent",
    nvNonce: false,
  };
}
