// Help texts of the factory station CLI, kept apart from the commands so that --help never
// loads them. The README's "Factory station" section repeats these: change both together.

export const PROGRAM = "npm run factory --";

/** Commands of later work (DESIGN §8): listed in the help, refused with exit 2. */
export const NOT_BUILT: readonly { name: string; summary: string }[] = [
  {
    name: "bundle",
    summary: "pack pending manifests into the station's next signed (optionally sealed) bundle",
  },
  { name: "capture-batch", summary: "capture many TPMs from a CSV list, with a progress bar" },
];

const EXIT_STATUS = `Exit status:
  0  done
  1  refused: a defective or already-captured TPM, a file that is not valid or does not
     verify, a key file that already exists
  2  usage error, an input that cannot be read (key file, CA directory), or a command that
     is not built yet
  3  internal error (a bug: please report it with the message)`;

export const MAIN_HELP = `Usage: ${PROGRAM} <command> [options]

The factory station: capture each board's TPM evidence into a signed device manifest.

Commands:
  keygen          create the station's Ed25519 signing key (NAME.key, NAME.pub)
  capture         read and check one TPM, write its signed manifest to bundles/pending/
  inspect         print a manifest, verifying its signature with --station-pub
${NOT_BUILT.map((c) => `  ${c.name.padEnd(14)}  ${c.summary} (not built yet)`).join("\n")}

Options:
  -h, --help      show this help; every command has its own --help

${EXIT_STATUS}

Example:
  ${PROGRAM} keygen --station line1 --out /etc/factory
  ${PROGRAM} capture --tcti device:/dev/tpmrm0 --serial SN-0001 --key /etc/factory/line1.key --ca-dir ./cas
`;

export const KEYGEN_HELP = `Usage: ${PROGRAM} keygen --station NAME [--out DIR]

Creates the station's Ed25519 signing key: DIR/NAME.key (PKCS#8 PEM, mode 0600) and
DIR/NAME.pub (SPKI PEM). NAME is the station's name in every manifest it signs. Never
overwrites: if either file exists, nothing is written. Give NAME.pub to the registrar
('registrar stations add NAME NAME.pub').

Options:
  --station NAME   the station's name: letters, digits, '.', '_' and '-'. Required.
  --out DIR        where to write the files (created if missing). Default: the current directory.
  -h, --help       show this help

Output (stdout): the two paths and the key id (kid: first 16 bytes of SHA-256 of the raw
public key, hex), which is how manifests name their signer.

${EXIT_STATUS}

Example:
  ${PROGRAM} keygen --station line1 --out /etc/factory
`;

export const CAPTURE_HELP = `Usage: ${PROGRAM} capture --tcti T --serial S --key K --ca-dir D [options]

Reads one TPM and checks it on the spot: every EK certificate (low and high NV range) and
chain (0x01C00100-0x01C001FF), each EK made from its template against its certificate, each
certificate's chain to the CA directory, and a credential activation round trip with this
station as verifier. Then writes the signed device manifest OUT-DIR/S.manifest.

A TPM that fails any check gets no manifest: the reason is printed on stderr, in words the
line operator can act on. A TPM already captured (an EK with the same ek_pub_sha256 as a
manifest in OUT-DIR or OUT-DIR/.bundled/) is refused, naming the earlier serial. An existing
S.manifest is never overwritten.

Options:
  --tcti T           how to reach the TPM: device:/dev/tpmrm0, swtpm:host=H,port=P. Required.
  --serial S         the board's serial: letters, digits, '.', '_' and '-'. Required.
  --hw-uuid U        the board's hardware UUID (recorded as given). Default: none.
  --model M          the board model. Default: none.
  --key K            the station's private key (from keygen); the station's name is K's file
                     name without .key. Required.
  --ca-dir D         the manufacturer CA certificates the EK certificates must chain to. Required.
  --out-dir DIR      where manifests go. Default: bundles/pending.
  --at ISO           the capture time (certificate validity, captured_at), e.g.
                     2026-06-01T12:00:00Z. Default: now.
  --allow-no-cert    accept a TPM with no EK certificate, recording its EK hash alone (as
                     allow-lists do for TPMs like Intel PTT)
  --json             print one JSON object instead of text:
                     {"serial","file","station","kid","captured_at","tpm","eks":[{"alg",
                     "template","ek_pub_sha256","cert_nv","chain"}]}
  -h, --help         show this help

${EXIT_STATUS}

Example:
  ${PROGRAM} capture --tcti swtpm:host=127.0.0.1,port=2321 --serial SN-0001 \\
      --key /etc/factory/line1.key --ca-dir ./cas
`;

export const INSPECT_HELP = `Usage: ${PROGRAM} inspect FILE [--json] [--station-pub P]

Prints a factory file, telling its kind by its content: a device manifest (bundles are not
supported yet). With --station-pub the signature is verified against that station's public
key, and a file signed by another key, altered, truncated or of an unknown version is refused.
Without it the content is decoded and printed but the signature is NOT verified (said so).

Options:
  --station-pub P   the station's public key (NAME.pub from keygen) to verify against
  --json            print one JSON object: {"kind","file","verified","kid","manifest"}, the
                    manifest's byte strings as base64
  -h, --help        show this help

${EXIT_STATUS}

Example:
  ${PROGRAM} inspect bundles/pending/SN-0001.manifest --station-pub /etc/factory/line1.pub
`;
