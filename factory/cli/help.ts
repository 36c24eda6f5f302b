// Help texts of the factory station CLI, kept apart from the commands so that --help never
// loads them. The README's "Factory station" section repeats these: change both together.

export const PROGRAM = "npm run factory --";

/** Commands of later work (DESIGN §8): listed in the help, refused with exit 2. */
export const NOT_BUILT: readonly { name: string; summary: string }[] = [];

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
  capture-batch   capture many TPMs from a CSV list, with a progress bar and a summary
  inspect         print a manifest or (sealed) bundle, verifying it with --station-pub
  bundle          pack pending manifests into the station's next signed (optionally sealed) bundle
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

export const INSPECT_HELP = `Usage: ${PROGRAM} inspect FILE [--json] [--station-pub P] [--registrar-key K]

Prints a factory file, telling its kind by its content: a device manifest, a bundle or a
sealed bundle. With --station-pub the signature is verified against that station's public
key, and a file signed by another key, altered, truncated or of an unknown version is refused.
Without it a manifest is decoded and printed but its signature is NOT verified (said so); a
bundle needs --station-pub. For a bundle, the header signature is verified once and every
manifest's digest (and signature) while streaming; one line per manifest: serial and EKs.
A sealed bundle is opened with --registrar-key first; without it, its sealed_to (the kid of the
registrar's X25519 key) is printed and the exit status is 1.

Options:
  --station-pub P     the station's public key (NAME.pub from keygen) to verify against
  --registrar-key K   the registrar's X25519 private key (registrar.x25519.key): opens a
                      sealed bundle
  --json              print one JSON object: for a manifest {"kind","file","verified","kid",
                      "manifest"} (byte strings as base64); for a bundle {"kind","file",
                      "verified","kid","sealed_to"?,"digest","header":{…},"manifests":
                      [{"serial","eks":[{"alg","template","ek_pub_sha256"}]}]}
  -h, --help          show this help

${EXIT_STATUS}

Example:
  ${PROGRAM} inspect bundles/pending/SN-0001.manifest --station-pub /etc/factory/line1.pub
  ${PROGRAM} inspect bundles/outgoing/line1-3.bundle.sealed --station-pub line1.pub \\
      --registrar-key registrar.x25519.key
`;

export const BUNDLE_HELP = `Usage: ${PROGRAM} bundle --key K [--in DIR] [--out-dir DIR] [--seal-to P] [--json]

Packs every pending manifest (DIR/*.manifest) into the station's next bundle:
OUT-DIR/<station>-<seq>.bundle, or .bundle.sealed with --seal-to. Each manifest is verified
with the station's own key first; one that does not verify is refused by name, left in place,
and makes the exit status 1 (the others are still bundled). The bundled manifests move to
DIR/.bundled/. The chain (seq 1, 2, 3… and prev, the SHA-256 of the previous bundle's plain
bytes) is kept in <station>.state.json next to the key; an interrupted run is finished by the
next one, so no manifest is lost or bundled twice. Nothing pending: says so, exit 0.

Options:
  --key K          the station's private key (from keygen); the station's name is K's file
                   name without .key. Required.
  --in DIR         the pending manifests. Default: bundles/pending.
  --out-dir DIR    where bundles go. Default: bundles/outgoing.
  --seal-to P      seal the bundle to the registrar's X25519 public key (registrar.x25519.pub)
  --json           print one JSON object: {"bundled","file","station","seq","count","digest",
                   "sealed","prev","refused"} ({"bundled":false,…} when nothing was pending)
  -h, --help       show this help

${EXIT_STATUS}

Example:
  ${PROGRAM} bundle --key /etc/factory/line1.key --seal-to registrar.x25519.pub
`;

export const CAPTURE_BATCH_HELP = `Usage: ${PROGRAM} capture-batch --list FILE.csv --key K --ca-dir D [options]

Captures every board of FILE.csv in turn, each with the same checks and output files as
'capture'. One refused board never stops the batch: its reason is printed and the next board
is captured. A board whose S.manifest already exists (in OUT-DIR or OUT-DIR/.bundled/) is
reported as already captured and left alone, so a batch can be run again after fixing the
refused boards. At the end, a summary: how many were captured, already captured, and refused
(with each reason).

FILE.csv: a header line 'tcti,serial,hw_uuid,model', then one board a line. hw_uuid and model
may be empty. Quote a field that holds commas ("swtpm:host=127.0.0.1,port=2321"); blank lines
and lines starting with '#' are skipped. A list with any bad line captures nothing (exit 2).

Options:
  --list FILE.csv    the boards to capture. Required.
  --key K            the station's private key (from keygen). Required.
  --ca-dir D         the manufacturer CA certificates the EK certificates must chain to. Required.
  --out-dir DIR      where manifests go. Default: bundles/pending.
  --at ISO           the capture time for every board. Default: now.
  --allow-no-cert    accept TPMs with no EK certificate, recording their EK hash alone
  --json             print one JSON line per board ({"status":"captured"|"already_captured"|
                     "refused","serial",…}; captured boards as 'capture --json'), then a
                     summary line {"summary":true,"total","captured","already_captured",
                     "refused","refusals":[{"serial","code","reason"}]}
  -h, --help         show this help

Progress goes to stderr: a bar on a terminal, one line per board otherwise.

Exit status:
  0  every board captured (or already captured)
  1  at least one board refused
  2  usage error, a list, key file or CA directory that cannot be read or is not valid
  3  internal error (a bug: please report it with the message)

Example:
  ${PROGRAM} capture-batch --list line1-2026-06-01.csv --key /etc/factory/line1.key --ca-dir ./cas
`;
