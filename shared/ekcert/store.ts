// The manufacturer CA store (DESIGN §4): every certificate in it is a trust anchor, as with
// `openssl verify -partial_chain`, because real stores hold intermediates whose roots are not
// published. Issuers are looked up by Authority Key Identifier first, by name second.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { equalBytes } from "../bytes/equal-bytes.js";
import { parseCertificate } from "./certificate.js";
import { readCertificateInput } from "./input.js";
import { nameKey } from "./name.js";
import type { Certificate, Name } from "./types.js";

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A set of CA certificates, indexed for issuer lookup. Duplicates (same DER) are kept once. */
export class CaStore {
  readonly #certs: Certificate[] = [];
  readonly #members = new Set<Certificate>();
  readonly #bySubject = new Map<string, Certificate[]>();
  readonly #bySki = new Map<string, Certificate[]>();
  readonly #sources = new Map<Certificate, string>();
  /** Where the certificates came from, for messages (e.g. the `--ca-dir` path). */
  origin: string | undefined;

  constructor(certs: Iterable<Certificate> = [], origin?: string) {
    this.origin = origin;
    for (const cert of certs) this.add(cert);
  }

  /** Add a certificate; false (and nothing changes) when the same DER is already here. */
  add(cert: Certificate, source?: string): boolean {
    if (this.find(cert)) return false;
    this.#certs.push(cert);
    this.#members.add(cert);
    push(this.#bySubject, nameKey(cert.subject), cert);
    if (cert.subjectKeyId) push(this.#bySki, hexOf(cert.subjectKeyId), cert);
    if (source !== undefined) this.#sources.set(cert, source);
    return true;
  }

  get size(): number {
    return this.#certs.length;
  }

  /** In the order they were added. */
  get certificates(): readonly Certificate[] {
    return this.#certs;
  }

  /** The store's own copy of `cert` (same DER), if it holds one. */
  find(cert: Certificate): Certificate | undefined {
    if (this.#members.has(cert)) return cert;
    return this.#bySubject.get(nameKey(cert.subject))?.find((c) => equalBytes(c.der, cert.der));
  }

  /** Whether the store holds this certificate (same DER): then it is a trust anchor. */
  has(cert: Certificate): boolean {
    return this.find(cert) !== undefined;
  }

  /** The file (or other source) a certificate was loaded from, when known. */
  sourceOf(cert: Certificate): string | undefined {
    const own = this.find(cert);
    return own && this.#sources.get(own);
  }

  /** Certificates whose subject equals `name` (RFC 5280 §7.1). */
  withSubject(name: Name): Certificate[] {
    return [...(this.#bySubject.get(nameKey(name)) ?? [])];
  }

  /** Certificates whose Subject Key Identifier is `keyId`. */
  withSubjectKeyId(keyId: Uint8Array): Certificate[] {
    return [...(this.#bySki.get(hexOf(keyId)) ?? [])];
  }

  /**
   * Candidate issuers of `cert`: those whose Subject Key Identifier equals its Authority Key
   * Identifier first, then those whose subject equals its issuer name. Candidates only: the
   * caller checks names, signatures and CA flags (see verifyIssuedBy).
   */
  issuersOf(cert: Certificate): Certificate[] {
    const byKey = cert.authorityKeyId ? (this.#bySki.get(hexOf(cert.authorityKeyId)) ?? []) : [];
    const byName = this.#bySubject.get(nameKey(cert.issuer)) ?? [];
    if (byKey.length === 0) return [...byName];
    return [...byKey, ...byName.filter((c) => !byKey.includes(c))];
  }

  /** "51 certs loaded from ./cas", for messages. */
  describe(): string {
    const n = `${this.size} cert${this.size === 1 ? "" : "s"}`;
    return this.origin === undefined ? n : `${n} loaded from ${this.origin}`;
  }
}

export interface LoadCaDirResult {
  store: CaStore;
  /** Distinct certificates in the store after loading. */
  loaded: number;
  /** Files (or certificates within a file) that could not be read, with why. */
  skipped: { file: string; reason: string }[];
  /** Certificates that were already in the store (same DER), counted once. */
  duplicates: number;
}

/** Not CA files: documentation, hidden files. Subdirectories are never read. */
function ignored(name: string): boolean {
  return name.startsWith(".") || /^readme/i.test(name) || /\.(md|txt)$/i.test(name);
}

/**
 * Load every certificate file of `dir` (PEM with one or several certs, DER, .crt/.cer/.pem,
 * base64 DER): a file that does not parse is reported in `skipped` and never fatal. Adds to
 * `into` when given.
 */
export async function loadCaDir(dir: string, into?: CaStore): Promise<LoadCaDirResult> {
  const store = into ?? new CaStore([], dir);
  const skipped: { file: string; reason: string }[] = [];
  let duplicates = 0;
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.isDirectory() && !ignored(e.name))
    .map((e) => e.name)
    .sort();
  for (const name of entries) {
    const file = join(dir, name);
    let ders: Uint8Array[];
    try {
      ders = readCertificateInput(new Uint8Array(await readFile(file)));
    } catch (e) {
      skipped.push({ file, reason: messageOf(e) });
      continue;
    }
    if (ders.length === 0) {
      skipped.push({ file, reason: "no certificate found in it" });
      continue;
    }
    ders.forEach((der, i) => {
      try {
        if (!store.add(parseCertificate(der), file)) duplicates++;
      } catch (e) {
        const which = ders.length > 1 ? `certificate ${i + 1} of ${ders.length}: ` : "";
        skipped.push({ file, reason: `${which}${messageOf(e)}` });
      }
    });
  }
  return { store, loaded: store.size, skipped, duplicates };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
