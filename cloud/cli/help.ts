// Help texts of the registrar CLI, kept apart from the commands so that --help never loads them.
// The README's CLI reference repeats these: change both together.

export const PROGRAM = "npm run registrar --";

const DB_OPTION = `  --db FILE      the registrar database (default ./registrar.db)`;
const EXIT_TEXT = `Exit status:
  0  done
  1  something was refused (the message says what and why)
  2  usage error, or a file or database that cannot be read
  3  internal error (a bug: please report it with the message)`;

/** Every command, in the order of the main help. */
export const COMMANDS: readonly { name: string; summary: string }[] = [
  { name: "init", summary: "create the database and the registrar's signing and sealing keys" },
  { name: "serve", summary: "run the registrar: keylime agent API and admin API" },
  { name: "cas", summary: "import, list and retire manufacturer CAs" },
  { name: "stations", summary: "trust, list and retire factory stations; a station's devices" },
  { name: "import", summary: "import device manifests, bundles and sealed bundles" },
  { name: "devices", summary: "list, show, revoke and restore devices" },
  { name: "tokens", summary: "create, list and revoke admin API tokens" },
  { name: "offline", summary: "offline registration: challenge and activate files" },
  { name: "audit", summary: "list the audit log and verify its hash chain" },
  { name: "ekcert", summary: "verify EK certificates against a directory of manufacturer CAs" },
];

export const MAIN_HELP = `Usage: ${PROGRAM} <command> [options]

The registrar: admits TPMs captured by trusted factory stations, whose EK certificates chain
to a manufacturer CA, through keylime's registration protocol. Every command works on the
database file (--db, default ./registrar.db), whether or not a server is running on it.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}  ${c.summary}`).join("\n")}

Options:
  -h, --help   show this help; every command has its own --help

${EXIT_TEXT}

A first run:
  ${PROGRAM} init
  ${PROGRAM} cas import ./manufacturer-cas
  ${PROGRAM} stations add line1 line1.pub
  ${PROGRAM} import bundles/outgoing/line1-1.bundle.sealed
  ${PROGRAM} serve --port 8890
`;

export const INIT_HELP = `Usage: ${PROGRAM} init [--db FILE] [--out DIR] [--json]

Creates the database (schema migrations included, and its folder, mode 0700) if it does not
exist, and the registrar's keys: registrar.ed25519.key/.pub (signs offline challenges) and
registrar.x25519.key/.pub (opens sealed bundles: give registrar.x25519.pub to the stations).
Private keys are written with mode 0600 and never overwritten. The key paths are recorded in
the database.

Options:
${DB_OPTION}
  --out DIR      where to write the keys (default: the database's directory; made,
                 mode 0700, if it does not exist)
  --json         print {db, keys: {...}, seal_kid} as JSON
  -h, --help     show this help

${EXIT_TEXT}
`;

export const SERVE_HELP = `Usage: ${PROGRAM} serve [--db FILE] [--port P] [--host H] [options]

Runs the registrar service: the keylime-compatible agent API (/version, /v2.1…/v2.6/agents),
the admin API (/api/v1), /healthz, /metrics and /openapi.json. Binds to 127.0.0.1 unless
--host says otherwise. Stops cleanly on SIGINT or SIGTERM.

Options:
${DB_OPTION}
  --port P                       TCP port (default 8890, keylime's registrar port)
  --host H                       address to bind (default 127.0.0.1)
  --ca-dir DIR                   import the manufacturer CAs in DIR at start (as 'cas import')
  --tls-cert FILE --tls-key FILE serve HTTPS with this PEM certificate chain and key
  --admin-ca FILE                with TLS: client certificates from this CA may GET and DELETE
                                 agents, as keylime's tenant does
  --no-require-pre-registration  admit TPMs no station captured (keylime's level)
  --no-require-ek-cert           admit TPMs without a trusted EK certificate (keylime's level)
  --allow-hash-only              admit TPMs without an EK certificate that were pre-registered
                                 by their ek_pub_sha256 alone (e.g. Intel PTT)
  --challenge-ttl DURATION       lifetime of an online challenge (default 5m)
  --offline-ttl DURATION         lifetime of an offline session (default 7d)
  --synchronous full|normal      sqlite durability (default full: a commit survives a power
                                 cut; normal may lose the last commits to one, never corrupts)
  -h, --help                     show this help

${EXIT_TEXT}
`;

export const CAS_HELP = `Usage: ${PROGRAM} cas <command> [--db FILE] [--json]

Manufacturer CA certificates: EK certificates must chain to an active one.

Commands:
  import DIR   add every certificate file in DIR (PEM, DER, CRT; PEM may hold several)
  list         list the active CAs (--all: the retired ones too)
  retire ID    stop trusting a CA (ID: its SHA-256 from 'cas list', or a unique prefix of
               at least 8 hex digits)

Options:
${DB_OPTION}
  --json         JSON output
  --all          (list) include retired CAs
  -h, --help     show this help

${EXIT_TEXT}
`;

export const STATIONS_HELP = `Usage: ${PROGRAM} stations <command> [--db FILE] [--json]

Factory stations whose signed manifests and bundles are imported.

Commands:
  add NAME FILE                  trust station NAME with its Ed25519 public key (NAME.pub,
                                 as written by 'factory keygen')
  list                           list the stations, with the head of each one's bundle chain
  retire NAME                    stop trusting NAME; its devices stay as they are
  devices NAME [--since T]       list the devices NAME captured (at or after T)
  revoke-devices NAME --since T --reason TEXT
                                 revoke every device NAME captured at or after T (a
                                 compromised station)

Options:
${DB_OPTION}
  --since T      ISO 8601 date or date-time (UTC without an offset)
  --reason TEXT  why, recorded with each device and in the audit log
  --json         JSON output
  -h, --help     show this help

${EXIT_TEXT}
`;

export const DEVICES_HELP = `Usage: ${PROGRAM} devices <command> [--db FILE] [--json]

Devices (TPMs) and their state: pre-registered, registered, active or revoked.

Commands:
  list [--state S] [--station NAME] [--serial S] [--limit N]
  show DEVICE                 one device with its EKs and history
  revoke DEVICE --reason TEXT refuse its registrations from now on
  restore DEVICE              undo a revocation (back to the state it had)

DEVICE is a device id, an EK's ek_pub_sha256 (64 hex digits) or a serial (when unique).

Options:
${DB_OPTION}
  --json         JSON output
  -h, --help     show this help

${EXIT_TEXT}
`;

export const TOKENS_HELP = `Usage: ${PROGRAM} tokens <command> [--db FILE] [--json]

Bearer tokens for the admin API. Only a token's SHA-256 is stored: the token itself is printed
once, by 'create'.

Commands:
  create --name NAME --scopes S1,S2 [--expires T]
  list
  revoke ID

Scopes: bundles:import, devices:read, devices:write, devices:revoke, stations:write,
cas:write, audit:read.

Options:
${DB_OPTION}
  --expires T    ISO 8601 date or date-time after which the token stops working
  --json         JSON output
  -h, --help     show this help

${EXIT_TEXT}
`;

export const AUDIT_HELP = `Usage: ${PROGRAM} audit <command> [--db FILE] [--json]

The append-only audit log: every entry carries the hash of the one before it.

Commands:
  verify          check every entry and link of the chain; prints the head hash (keep it
                  elsewhere: a chain cannot show that its newest entries were cut off)
  list [--limit N] the newest entries (default 50)

Options:
${DB_OPTION}
  --json         JSON output
  -h, --help     show this help

Exit status: 0 the chain verifies, 1 it is broken (the first bad entry is named), 2 usage.
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
