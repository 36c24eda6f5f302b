// What a capture records: exactly the `tpm` and `eks` fields of the device manifest (DESIGN §5).
import type { CaStore } from "../../shared/ekcert/index.js";
import type { EkAlg, EkTemplateName } from "../../shared/tpm/index.js";

export interface CapturedTpmInfo {
  /** TPM_PT_MANUFACTURER as ASCII, e.g. "IBM", "IFX". */
  readonly manufacturer: string;
  /** The vendor strings concatenated. */
  readonly vendor: string;
  /** "major.minor.build.patch". */
  readonly fw: string;
  /** e.g. "2.0 level 0 revision 164". */
  readonly spec: string;
}

export interface CapturedEk {
  readonly alg: EkAlg;
  readonly template: EkTemplateName;
  /** The EK's marshalled TPM2B_PUBLIC (size prefix included), as the TPM returned it. */
  readonly pub: Uint8Array;
  /** Lowercase hex SHA-256 of the EK's DER SubjectPublicKeyInfo (DESIGN §4). */
  readonly ek_pub_sha256: string;
  /** The EK certificate's DER, or null when captured with allowNoCert. */
  readonly cert: Uint8Array | null;
  /** The NV index the certificate was read from, or null with no cert. */
  readonly cert_nv: number | null;
  /** Chain certificates (DER) from NV 0x01C00100–0x01C001FF, in index order. */
  readonly chain: Uint8Array[];
}

export interface CapturedTpm {
  readonly tpm: CapturedTpmInfo;
  readonly eks: CapturedEk[];
}

export interface CaptureOptions {
  /** The station's trusted manufacturer CAs (--ca-dir). */
  store: CaStore;
  /** The time certificates must be valid at. Default now. */
  at?: Date;
  /** Accept a TPM with no EK certificate, recording its RSA (L-1) EK hash alone. */
  allowNoCert?: boolean;
  /** Names the TPM in messages, e.g. the board serial. */
  label?: string;
}
