// openssl as an independent source of truth for key bytes in tests.
import { execFileSync } from "node:child_process";

/** The DER SubjectPublicKeyInfo of a DER certificate, as openssl extracts it. */
export function certSpkiDer(certDer: Uint8Array): Buffer {
  const pem = execFileSync("openssl", ["x509", "-inform", "DER", "-pubkey", "-noout"], { input: certDer });
  return execFileSync("openssl", ["pkey", "-pubin", "-outform", "DER"], { input: pem });
}

/** The DER SubjectPublicKeyInfo of a PEM public key, as openssl re-encodes it. */
export function pemSpkiDer(pem: string): Buffer {
  return execFileSync("openssl", ["pkey", "-pubin", "-outform", "DER"], { input: pem });
}
