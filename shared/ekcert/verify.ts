// EK certificate verification (DESIGN §4): the EK credential profile checks on the leaf, then
// a path leaf → intermediates → a certificate of the CA store (every store certificate is a
// trust anchor, as with `openssl verify -partial_chain`). Every refusal says which
// certificate failed which check, and which issuer was looked for.
import { equalBytes } from "../bytes/equal-bytes.js";
import { parseCertificate } from "./certificate.js";
import { children, contentOf, elementOf, isContext, isUniversal, onlyChild, readTlv, TAG } from "./der.js";
import { ekPubSha256 } from "./ek-pub-hash.js";
import { readCertificateInput } from "./input.js";
import { namesEqual, parseName } from "./name.js";
import { describeOid, OID, oidName } from "./oid.js";
import { verifyCertificateSignature } from "./signature.js";
import { CaStore } from "./store.js";
import type { Certificate, EkRejectCode, EkVerifyResult, Name } from "./types.js";

/** TCG EK Credential Profile §3.2.12: the EK certificate's extended key usage. */
const EKU_EK_CERTIFICATE = OID.tcgKpEkCertificate;
/** TCG: an Attestation Key certificate, which is not an EK certificate. */
const EKU_AK_CERTIFICATE = OID.tcgKpAikCertificate;

/**
 * Extensions this verifier understands, so that it accepts them when critical (RFC 5280 §4.2).
 * nameConstraints (2.5.29.30), policyConstraints, policyMappings and inhibitAnyPolicy are not
 * here on purpose: they are not enforced, so a certificate that marks one critical is refused.
 */
export const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName, // EK certs: critical, holding only a directoryName of TPM attributes
  OID.subjectDirectoryAttributes,
  OID.certificatePolicies,
  OID.authorityKeyIdentifier,
  OID.subjectKeyIdentifier,
  OID.crlDistributionPoints,
  OID.authorityInfoAccess,
]);

export interface VerifyEkOptions {
  /** The trusted manufacturer CAs: a path must end at one of these. */
  store: CaStore;
  /** Untrusted candidates for the path (from NV chain indices or the manifest). */
  intermediates?: readonly Certificate[];
  /** When the certificate is checked for validity: the capture time. Default now. */
  at?: Date;
  /** Whether CA certificates must be valid at `at` too. Default "at-time". */
  caValidity?: "at-time" | "ignore";
  /** Most CA certificates a path may hold above the leaf (intermediates and anchor). Default 6. */
  maxDepth?: number;
  /** How reasons name the leaf, e.g. "EK certificate at NV 0x01C00002". Default "EK certificate". */
  label?: string;
}

export type LinkResult = { ok: true } | { ok: false; code: EkRejectCode; reason: string };

/** How messages name a certificate: its subject, or its serial when the subject is empty. */
export function describeCertificate(cert: Certificate): string {
  return cert.subject.text ? `"${cert.subject.text}"` : `the certificate with serial ${cert.serial}`;
}

/** The subjects of a chain, leaf first (an empty subject, as EK certs have, shows its serial). */
export function chainSubjects(chain: readonly Certificate[]): string[] {
  return chain.map((c) => c.subject.text || `(empty subject, serial ${c.serial})`);
}

/**
 * Whether `issuer` issued `child`, one link of a path: `child`'s issuer name equals `issuer`'s
 * subject (RFC 5280 §7.1), its Authority Key Identifier (key id, and issuer and serial when
 * given) fits `issuer`, its signature verifies with `issuer`'s key, and `issuer` is a CA
 * (basicConstraints cA, and keyCertSign when it has a key usage). With `at`, `issuer` must also
 * be valid then.
 */
export function verifyIssuedBy(child: Certificate, issuer: Certificate, at?: Date): LinkResult {
  const link = checkLink(child, issuer, describeCertificate);
  if (!link.ok || at === undefined) return link;
  const invalid = validityProblem(issuer, at);
  return invalid
    ? {
        ok: false,
        code: "EK_CHAIN_CA_EXPIRED",
        reason: `CA certificate ${describeCertificate(issuer)} ${invalid}`,
      }
    : link;
}

// ---------------------------------------------------------------------------------------------
// One link

const linkCache = new WeakMap<Certificate, WeakMap<Certificate, LinkResult>>();

function hex(bytes: Uint8Array, max = 64): string {
  const h = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  const pairs = h.match(/../g)?.join(":") ?? "";
  return pairs.length > max ? `${pairs.slice(0, max)}…` : pairs;
}

function signatureVerifies(child: Certificate, issuer: Certificate): { ok: boolean; error?: string } {
  try {
    return { ok: verifyCertificateSignature(child, issuer.publicKey) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function checkLink(child: Certificate, issuer: Certificate, name: (c: Certificate) => string): LinkResult {
  // Names are built only for a failure: this runs once per certificate in bulk imports.
  const childName = (): string => name(child);
  const issuerName = (): string => name(issuer);
  if (!namesEqual(child.issuer, issuer.subject)) {
    return {
      ok: false,
      code: "EK_CHAIN_UNTRUSTED",
      reason: `the issuer name "${child.issuer.text}" of ${childName()} is not the subject "${issuer.subject.text}" of the candidate issuer`,
    };
  }
  const aki = akiMismatch(child, issuer);
  if (aki) {
    const sig = signatureVerifies(child, issuer);
    return {
      ok: false,
      code: "EK_CHAIN_UNTRUSTED",
      reason:
        `${childName()} names its issuer ${issuerName()} but was not issued by that certificate: ${aki}` +
        (sig.ok
          ? " (although its signature verifies with that certificate's key)"
          : `, and its signature does not verify with that certificate's key: another CA with the same name issued it`),
    };
  }
  const sig = signatureVerifies(child, issuer);
  if (!sig.ok) {
    return {
      ok: false,
      code: "EK_CHAIN_BAD_SIGNATURE",
      reason:
        `the signature of ${childName()} (${oidName(child.signatureAlgorithm.oid) ?? child.signatureAlgorithm.oid}) does not verify with the key of ${issuerName()}` +
        (sig.error ? `: ${sig.error}` : ""),
    };
  }
  if (issuer.basicConstraints?.ca !== true) {
    return {
      ok: false,
      code: "EK_CHAIN_ISSUER_NOT_CA",
      reason: `${issuerName()}, which signed ${childName()}, is not a CA certificate (${
        issuer.basicConstraints ? "basicConstraints CA:FALSE" : "no basicConstraints extension"
      })`,
    };
  }
  if (issuer.keyUsage && !issuer.keyUsage.has("keyCertSign")) {
    return {
      ok: false,
      code: "EK_CHAIN_ISSUER_NOT_CA",
      reason: `${issuerName()}, which signed ${childName()}, may not sign certificates: its key usage (${
        [...issuer.keyUsage].join(", ") || "empty"
      }) lacks keyCertSign`,
    };
  }
  return { ok: true };
}

/** checkLink with the result kept per pair of certificate objects (store links repeat). */
function cachedLink(child: Certificate, issuer: Certificate, name: (c: Certificate) => string): LinkResult {
  let byIssuer = linkCache.get(child);
  const hit = byIssuer?.get(issuer);
  if (hit) return hit;
  const result = checkLink(child, issuer, name);
  if (!byIssuer) {
    byIssuer = new WeakMap();
    linkCache.set(child, byIssuer);
  }
  byIssuer.set(issuer, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Authority Key Identifier (RFC 5280 §4.2.1.1), as openssl's X509_check_akid reads it: a key id
// that differs from the issuer's Subject Key Identifier, or an authorityCertIssuer/serial that
// differ from the issuer's own issuer and serial, mean "not this issuer".

interface AuthorityKeyId {
  keyId?: Uint8Array;
  /** The first directoryName of authorityCertIssuer, DER of the Name. */
  issuerName?: Uint8Array;
  serial?: Uint8Array;
}

function parseAuthorityKeyId(value: Uint8Array): AuthorityKeyId | undefined {
  try {
    const seq = readTlv(value, 0, value.length);
    if (!isUniversal(seq, TAG.SEQUENCE)) return undefined;
    const aki: AuthorityKeyId = {};
    for (const field of children(value, seq)) {
      if (isContext(field, 0)) aki.keyId = contentOf(value, field);
      else if (isContext(field, 2)) aki.serial = contentOf(value, field);
      else if (isContext(field, 1) && field.constructed) {
        // GeneralNames; directoryName is [4], explicit because Name is a CHOICE.
        const dirName = children(value, field).find((g) => isContext(g, 4) && g.constructed);
        if (dirName) aki.issuerName = elementOf(value, onlyChild(value, dirName));
      }
    }
    return aki;
  } catch {
    return undefined; // a malformed AKI is the parser's business; it identifies nothing here
  }
}

/** "03" and "00:03" are the same serial; compare integers, not encodings. */
function serialValue(bytes: Uint8Array | string): string {
  const h = typeof bytes === "string" ? bytes.replace(/:/g, "") : Buffer.from(bytes).toString("hex");
  return h.toLowerCase().replace(/^0+(?=.)/, "");
}

function akiMismatch(child: Certificate, issuer: Certificate): string | undefined {
  const keyId = child.authorityKeyId;
  if (keyId && issuer.subjectKeyId && !equalBytes(keyId, issuer.subjectKeyId)) {
    return `its Authority Key Identifier ${hex(keyId)} is not that certificate's Subject Key Identifier ${hex(issuer.subjectKeyId)}`;
  }
  const ext = child.extensions.find((e) => e.oid === OID.authorityKeyIdentifier);
  const aki = ext && parseAuthorityKeyId(ext.value);
  if (aki?.serial && serialValue(aki.serial) !== serialValue(issuer.serial)) {
    return `its Authority Key Identifier names the issuer certificate with serial ${hex(aki.serial)}, not ${issuer.serial}`;
  }
  if (aki?.issuerName && !nameDerMatches(aki.issuerName, issuer.issuer)) {
    return `its Authority Key Identifier names an issuer certificate issued by another CA than "${issuer.issuer.text}"`;
  }
  return undefined;
}

function nameDerMatches(der: Uint8Array, name: Name): boolean {
  try {
    return namesEqual(parseName(der), name);
  } catch {
    return false; // as openssl: a name it cannot read matches nothing
  }
}

// ---------------------------------------------------------------------------------------------
// Per-certificate checks

function iso(d: Date): string {
  return d.toISOString().replace(".000Z", "Z");
}

/** Why `cert` is not valid at `at` ("expired on …", "is not yet valid …"), or undefined when it is. */
function validityProblem(cert: Certificate, at: Date): string | undefined {
  const t = at.getTime();
  if (t >= cert.notBefore.getTime() && t <= cert.notAfter.getTime()) return undefined;
  const span = `valid from ${iso(cert.notBefore)} to ${iso(cert.notAfter)}, checked at ${iso(at)}`;
  return t > cert.notAfter.getTime()
    ? `expired on ${iso(cert.notAfter)} (${span})`
    : `is not yet valid (${span})`;
}

function unknownCriticalExtension(cert: Certificate): string | undefined {
  return cert.extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.oid))?.oid;
}

function criticalReason(name: string, oid: string): string {
  return `${name} has a critical extension ${describeOid(oid)} that this verifier does not process, so it must refuse the certificate (RFC 5280 §4.2)`;
}

/** The EK credential profile on the leaf (DESIGN §4): undefined when it is an EK certificate. */
function notAnEk(leaf: Certificate, name: () => string): string | undefined {
  const intro = () => `${name()} is not an EK certificate:`;
  if (leaf.basicConstraints?.ca) return `${intro()} it is a CA certificate (basicConstraints CA:TRUE)`;
  const eku = leaf.extKeyUsage;
  if (eku && !eku.includes(EKU_EK_CERTIFICATE)) {
    const what = eku.includes(EKU_AK_CERTIFICATE)
      ? `${EKU_AK_CERTIFICATE}, an Attestation Key certificate`
      : eku.join(", ") || "empty";
    return `${intro()} its extended key usage is ${what}, not ${EKU_EK_CERTIFICATE} (EK certificate)`;
  }
  if (leaf.keyUsage) {
    const needed = leaf.keyType === "rsa" ? "keyEncipherment" : "keyAgreement";
    if (!leaf.keyUsage.has(needed)) {
      const kind = leaf.keyType === "rsa" ? "an RSA" : "an ECC";
      return `${intro()} its key usage (${[...leaf.keyUsage].join(", ") || "empty"}) lacks ${needed}, which the credential challenge of ${kind} EK needs`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The path

interface Failure {
  code: EkRejectCode;
  /** Completes "<leaf> does not chain to a trusted manufacturer CA: …". */
  reason: string;
  /** Position in the path of the certificate that failed (deeper failures explain more). */
  depth: number;
  /** Among failures at the same depth, higher explains more. */
  rank: number;
}

const RANK: Record<EkRejectCode, number> = {
  EK_CHAIN_CA_EXPIRED: 7,
  EK_CERT_UNKNOWN_CRITICAL_EXTENSION: 6,
  EK_CHAIN_ISSUER_NOT_CA: 5,
  EK_CHAIN_BAD_SIGNATURE: 3,
  EK_CHAIN_TOO_LONG: 2,
  EK_CHAIN_UNTRUSTED: 1,
  EK_CERT_MALFORMED: 0,
  EK_CERT_NOT_EK: 0,
  EK_CERT_EXPIRED: 0,
  EK_CERT_NOT_YET_VALID: 0,
};

function better(a: Failure | undefined, b: Failure): Failure {
  if (!a) return b;
  if (b.depth !== a.depth) return b.depth > a.depth ? b : a;
  return b.rank > a.rank ? b : a;
}

/**
 * At most this many candidate issuers are tried in one verification: given intermediates that
 * share names (and keys) would otherwise make the search exponential. Real paths need a few.
 */
export const MAX_CANDIDATES_TRIED = 200;

class PathBuilder {
  /**
   * The given intermediates the store does not hold (those it holds are its trusted copies);
   * undefined when there are none.
   */
  readonly #pool: CaStore | undefined;
  /** Links checked in this verification, so that no pair is checked twice. */
  readonly #links = new Map<Certificate, Map<Certificate, LinkResult>>();
  #tried = 0;

  constructor(
    readonly store: CaStore,
    intermediates: readonly Certificate[],
    readonly leaf: Certificate,
    readonly at: Date,
    readonly checkCaValidity: boolean,
    readonly maxDepth: number,
  ) {
    // Most verifications are given no intermediates: they make no second store.
    const given = intermediates.filter((c) => !store.has(c));
    this.#pool = given.length > 0 ? new CaStore(given) : undefined;
  }

  /** "EK certificate → "CN=…" (a given intermediate) → …", for reasons. */
  pathText(path: readonly Certificate[]): string {
    return path.map((c) => (c === this.leaf ? "EK certificate" : this.name(c))).join(" → ");
  }

  /** How reasons name a certificate of the path. */
  name(cert: Certificate): string {
    if (cert === this.leaf) return "the EK certificate";
    const source = this.store.sourceOf(cert);
    const where = this.store.has(cert) ? (source ? ` (${source})` : "") : " (a given intermediate)";
    return `${describeCertificate(cert)}${where}`;
  }

  /** Candidate issuers of `cert` from the store and the given intermediates: by AKI, then by name. */
  candidates(cert: Certificate): Certificate[] {
    const fromStore = this.store.issuersOf(cert);
    if (this.#pool === undefined) return fromStore; // already key id first, then name
    const fromPool = this.#pool.issuersOf(cert);
    const keyed = (c: Certificate) =>
      cert.authorityKeyId !== undefined &&
      c.subjectKeyId !== undefined &&
      equalBytes(cert.authorityKeyId, c.subjectKeyId);
    const all = [...fromStore, ...fromPool];
    return [...all.filter(keyed), ...all.filter((c) => !keyed(c))];
  }

  /** How many certificates carry `cert`'s issuer name, for reasons about a failed candidate. */
  namedLikeIssuer(cert: Certificate): string {
    const inStore = this.store.withSubject(cert.issuer).length;
    const given = this.#pool?.withSubject(cert.issuer).length ?? 0;
    const n = inStore + given;
    const where = given === 0 ? "in the CA store" : "in the CA store and the given intermediates";
    if (n === 0) return "";
    return n === 1
      ? ` (the only certificate with that name ${where})`
      : ` (${n} certificates have that name ${where})`;
  }

  build(path: Certificate[]): { chain: Certificate[] } | { failure: Failure } {
    const cur = path[path.length - 1] as Certificate;
    const depth = path.length; // position a new issuer would take
    const anchored = path.length > 1 && this.store.has(cur);
    let best: Failure | undefined;
    const candidates = this.candidates(cur).filter((c) => c !== cur); // a self-signed cert is the top
    let loop: Certificate | undefined;
    if (candidates.length > 0 && path.length - 1 >= this.maxDepth) {
      best = better(best, {
        code: "EK_CHAIN_TOO_LONG",
        reason: `the path ${this.pathText(path)} reached the limit of ${this.maxDepth} CA certificates without reaching the CA store`,
        depth,
        rank: RANK.EK_CHAIN_TOO_LONG,
      });
    } else {
      for (const cand of candidates) {
        if (path.includes(cand)) {
          loop = cand;
          continue;
        }
        if (++this.#tried > MAX_CANDIDATES_TRIED) {
          best = better(best, {
            code: "EK_CHAIN_TOO_LONG",
            reason: `gave up after trying ${MAX_CANDIDATES_TRIED} candidate issuers (too many certificates share the names on the path)`,
            depth,
            rank: RANK.EK_CHAIN_TOO_LONG,
          });
          break;
        }
        const failure = this.#checkCandidate(path, cur, cand, depth);
        if (failure) {
          best = better(best, failure);
          continue;
        }
        const sub = this.build([...path, cand]);
        if ("chain" in sub) return sub;
        best = better(best, sub.failure);
      }
    }
    if (anchored) return { chain: path };
    if (loop && !best) {
      best = {
        code: "EK_CHAIN_TOO_LONG",
        reason: `${this.name(cur)} is issued by ${this.name(loop)}, which is already in the path (a loop)`,
        depth,
        rank: 0,
      };
    }
    return {
      failure: best ?? {
        code: "EK_CHAIN_UNTRUSTED",
        reason: this.#notFound(path, cur),
        depth,
        rank: 0,
      },
    };
  }

  #notFound(path: Certificate[], cur: Certificate): string {
    const keyId = cur.authorityKeyId ? ` (key identifier ${hex(cur.authorityKeyId)})` : "";
    const issuer = `issuer "${cur.issuer.text}"${keyId} not found in the CA store (${this.store.describe()})`;
    if (path.length === 1) return issuer;
    if (namesEqual(cur.subject, cur.issuer)) {
      return `the path ${this.pathText(path)} ends at a self-signed certificate that is not in the CA store (${this.store.describe()})`;
    }
    return `the path ${this.pathText(path)} does not reach the CA store: the last certificate's ${issuer}`;
  }

  #link(child: Certificate, issuer: Certificate, name: (c: Certificate) => string): LinkResult {
    // Links between store certificates are kept across verifications, others for this one only.
    if (this.store.has(child) && this.store.has(issuer)) return cachedLink(child, issuer, name);
    let byIssuer = this.#links.get(child);
    const seen = byIssuer?.get(issuer);
    if (seen) return seen;
    const result = checkLink(child, issuer, name);
    if (!byIssuer) {
      byIssuer = new Map();
      this.#links.set(child, byIssuer);
    }
    byIssuer.set(issuer, result);
    return result;
  }

  #checkCandidate(
    path: Certificate[],
    cur: Certificate,
    cand: Certificate,
    depth: number,
  ): Failure | undefined {
    const fail = (code: EkRejectCode, reason: string): Failure => ({ code, reason, depth, rank: RANK[code] });
    const name = (c: Certificate): string => this.name(c);
    const link = this.#link(cur, cand, name);
    if (!link.ok) {
      const suffix =
        link.code === "EK_CHAIN_BAD_SIGNATURE" || link.code === "EK_CHAIN_UNTRUSTED"
          ? this.namedLikeIssuer(cur)
          : "";
      return fail(link.code, `${link.reason}${suffix}`);
    }
    const critical = unknownCriticalExtension(cand);
    if (critical)
      return fail(
        "EK_CERT_UNKNOWN_CRITICAL_EXTENSION",
        criticalReason(`CA certificate ${name(cand)}`, critical),
      );
    if (this.checkCaValidity) {
      const invalid = validityProblem(cand, this.at);
      if (invalid) {
        return fail(
          "EK_CHAIN_CA_EXPIRED",
          `CA certificate ${name(cand)}, which issued ${name(cur)}, ${invalid}`,
        );
      }
    }
    // RFC 5280 §4.2.1.9: pathLen limits the non-self-issued intermediates below this CA.
    const pathLen = cand.basicConstraints?.pathLen;
    if (pathLen !== undefined) {
      const below = path.slice(1).filter((c) => !namesEqual(c.subject, c.issuer)).length;
      if (below > pathLen) {
        return fail(
          "EK_CHAIN_TOO_LONG",
          `CA certificate ${name(cand)} allows ${pathLen} intermediate CA(s) below it (basicConstraints pathLen), the path has ${below}`,
        );
      }
    }
    return undefined;
  }
}

function reject(code: EkRejectCode, reason: string, leaf?: Certificate): EkVerifyResult {
  return leaf ? { ok: false, code, reason, leaf } : { ok: false, code, reason };
}

/**
 * Verify an EK certificate: the EK credential profile (not a CA; key usage that allows the
 * credential challenge; EKU 2.23.133.8.1 where present; no unknown critical extension),
 * validity at `at`, and a path to a certificate of the CA store. `input` may be PEM (further
 * certificates in it are taken as intermediates), DER, base64 DER or raw NV contents. Never
 * throws for a bad certificate: the result says why it was refused.
 */
export function verifyEkCertificate(
  input: Uint8Array | Certificate,
  options: VerifyEkOptions,
): EkVerifyResult {
  const label = options.label ?? "EK certificate";
  const intermediates = [...(options.intermediates ?? [])];
  let leaf: Certificate;
  if (input instanceof Uint8Array) {
    try {
      const ders = readCertificateInput(input);
      const first = ders[0];
      if (first === undefined)
        return reject("EK_CERT_MALFORMED", `${label} could not be read: no certificate found`);
      leaf = parseCertificate(first);
      for (const der of ders.slice(1)) intermediates.push(parseCertificate(der));
    } catch (e) {
      return reject(
        "EK_CERT_MALFORMED",
        `${label} could not be read: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  } else {
    leaf = input;
  }

  // Made only for a refusal: a bulk import verifies every certificate and refuses few.
  const name = () => `${label} (serial ${leaf.serial})`;
  const notEk = notAnEk(leaf, name);
  if (notEk) return reject("EK_CERT_NOT_EK", notEk, leaf);
  const critical = unknownCriticalExtension(leaf);
  if (critical) return reject("EK_CERT_UNKNOWN_CRITICAL_EXTENSION", criticalReason(name(), critical), leaf);

  const at = options.at ?? new Date();
  if (at.getTime() > leaf.notAfter.getTime()) {
    return reject("EK_CERT_EXPIRED", `${name()} ${validityProblem(leaf, at)}`, leaf);
  }
  if (at.getTime() < leaf.notBefore.getTime()) {
    return reject("EK_CERT_NOT_YET_VALID", `${name()} ${validityProblem(leaf, at)}`, leaf);
  }

  const builder = new PathBuilder(
    options.store,
    intermediates,
    leaf,
    at,
    (options.caValidity ?? "at-time") === "at-time",
    options.maxDepth ?? 6,
  );
  const result = builder.build([leaf]);
  if ("failure" in result) {
    return reject(
      result.failure.code,
      `${name()} does not chain to a trusted manufacturer CA: ${result.failure.reason}`,
      leaf,
    );
  }
  return new Accepted(leaf, result.chain);
}

/**
 * An accepted EK certificate. Its key's hash is made when read: a bulk import has already
 * hashed the key to compare it. A class rather than an object literal with a getter: V8 gives
 * each such literal a hidden class of its own, made in the old generation and pointing at the
 * getter's closure, so every verified leaf outlived the young-generation collections (an
 * import's checks promoted ~5 KB per certificate, collected only by full GCs).
 */
class Accepted {
  readonly ok = true;
  constructor(
    readonly leaf: Certificate,
    readonly chain: readonly Certificate[],
  ) {}
  get ekPubSha256(): string {
    return ekPubSha256(this.leaf);
  }
}
