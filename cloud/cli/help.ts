// Help texts of the registrar CLI, kept apart from the commands so that --help never loads them.
// The README's CLI reference repeats these: change both together.

export const PROGRAM = "npm run registrar --";

/** Commands of later issues (DESIGN §6, issue 5): listed in the help, refused with exit 2. */
export const NOT_BUILT: readonly { name: string; summary: string }[] = [
  { name: "serve", summary: "run the registrar service: keylime agent API and admin API" },
  { name: "init", summary: "create the registrar's signing and sealing keys" },
  { name: "cas", summary: "import, list and retire manufacturer CAs in the database" },
  { name: "stations", summary: "trust, list and retire factory stations" },
  { name: "import", summary: "import device manifests and factory bundles" },
  { name: "devices", summary: "list, show, revoke and restore devices" },
  { name: "tokens", summary: "create admin API tokens" },
  { name: "offline", summary: "offline registration: challenge and activate files" },
  { name: "audit", summary: "verify the audit log's hash chain" },
];

export const MAIN_HELP = `Usage: ${PROGRAM} <command> [options]

The registrar's admin command line.

Commands:
  ${"ekcert verify".padEnd(14)}  verify EK certificates against a directory of manufacturer CAs
${NOT_BUILT.map((c) => `  ${c.name.padEnd(14)}  ${c.summary} (not built yet)`).join("\n")}

Options:
  -h, --help        show this help; every command has its own --help

Exit status:
  0  everything checked was accepted
  1  something was checked and rejected
  2  usage error, or an input that could not be read
  3  internal error (a bug: please report it with the message)

Example:
  ${PROGRAM} ekcert verify --ca-dir ./cas ek-rsa.pem
`;

export const EKCERT_HELP = `Usage: ${PROGRAM} ekcert <command> [options]

EK certificate tools.

Commands:
  verify   verify EK certificates against a directory of manufacturer CAs

Options:
  -h, --help   show this help

Exit status: 0 all accepted, 1 any rejected, 2 usage error or unreadable input.

Example:
  ${PROGRAM} ekcert verify --ca-dir ./cas --at 2026-06-01 ek-rsa.pem ek-ecc.der
`;

export const VERIFY_HELP = `Usage: ${PROGRAM} ekcert verify --ca-dir DIR [--at ISO-DATE] [--json] FILE...

Verifies the EK certificate in each FILE: the checks of the TCG EK credential profile (not a
CA; key usage that allows the credential challenge; EKU 2.23.133.8.1 where present; no unknown
critical extension), validity at the capture time, and a signature chain to a CA in DIR.
Every certificate in DIR is a trust anchor (like openssl verify -partial_chain).

A FILE may hold PEM (one or more certificates), DER, base64 DER, or a raw NV dump (a TCG
stored-certificate header before the DER and padding after it are removed). The first
certificate in a FILE is the EK certificate; any further ones serve as intermediates.

Options:
  --ca-dir DIR     directory of manufacturer CA certificates (PEM, DER or CRT files; PEM
                   files may hold several). Required. Loaded once; files that do not parse
                   are skipped with a warning on stderr.
  --at ISO-DATE    capture time at which validity is checked, e.g. 2026-06-01 or
                   2026-06-01T12:00:00Z (without an offset: UTC). Default: now.
  --json           JSON Lines: one object per FILE, in order,
                   {"file","ok","reason","manufacturer","model","version","ek_pub_sha256","chain"}
                   null where unknown; "manufacturer" as written in the certificate
                   (e.g. "id:49465800"); "chain" the subjects from leaf to anchor.
  -h, --help       show this help

Output, one line per FILE (stdout):
  OK   FILE  MANUFACTURER MODEL VERSION  EK_PUB_SHA256
       chain: leaf subject -> ... -> anchor subject
  FAIL FILE  reason [CODE]
Warnings (skipped CA files), the number of CA certificates loaded and a summary go to stderr.

Exit status:
  0  every FILE verified
  1  at least one FILE was rejected; a FILE that was read but holds no certificate
     (garbage, truncated or empty) counts as rejected, with its reason
  2  usage error (unknown option, no FILE, no --ca-dir, a bad --at), a CA directory that
     cannot be read or holds no certificate, or a FILE that cannot be read from disk
     (missing, no permission, a directory); the other FILEs are still checked
  3  internal error (a bug: please report it with the message)

Examples:
  ${PROGRAM} ekcert verify --ca-dir ./cas ek-rsa.pem
  ${PROGRAM} ekcert verify --ca-dir ./cas --at 2026-06-01 --json nv-01c00002.bin ek-ecc.der
`;
