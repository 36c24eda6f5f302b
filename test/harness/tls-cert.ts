// TLS certificates for tests of HTTPS and mTLS, made with the openssl command line (an
// implementation independent of ours): P-256 keys, 2-day validity, extensions as given.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./exec.js";

/**
 * Writes DIR/NAME.key and DIR/NAME.pem: a certificate for `cn` signed by DIR/CA.pem and
 * DIR/CA.key with the extensions `ext` (openssl extfile lines), or, when `ca` is absent, a
 * self-signed CA certificate (openssl's default extensions).
 */
export async function issueTlsCert(
  dir: string,
  name: string,
  cn: string,
  ext: string,
  ca?: string,
): Promise<void> {
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir });
  await writeFile(join(dir, `${name}.ext`), `${ext}\n`);
  const key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`];
  if (ca === undefined) {
    // Self-signed: openssl's default configuration makes it a CA (basicConstraints CA:true).
    await openssl(["req", "-x509", ...key, "-out", `${name}.pem`, "-subj", `/CN=${cn}`, "-days", "2"]);
    return;
  }
  await openssl(["req", "-new", ...key, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}
