// Help texts: the reference for every command (the README's "Edge agent" section summarises them).
export const PROGRAM = "edge-agent";

const EXIT_STATUS = `Exit status:
  0  done
  1  refused: the registrar answered 4xx (its reason is printed), or a challenge file was
     refused (signed by another key, for another agent, expired, or not for this TPM)
  2  usage or configuration error, or an input or the state dir cannot be read or written
  3  internal error (a bug: please report it with the message)
  4  registrar unreachable: no answer (or only 5xx/429) until --max-wait ran out
  5  TPM error: no usable EK certificate, an EK that is not its certificate's key, a TPM
     error code (TPM_RC_LOCKOUT and busy TPMs are named in plain words)
  6  the registrar answered with something unusable (a garbage or truncated credential blob,
     or a blob made for another AK)
  7  (status) this device is not registered and active`;

const SETTINGS_HELP = `Settings (a flag wins over its EDGE_AGENT_* variable, which wins over the config file):
  --config FILE                 JSON config file (also EDGE_AGENT_CONFIG); its keys are the
                                names in brackets below, e.g. {"registrar": "https://r:8891"}
  --registrar URL               the registrar, http:// or https:// [registrar]
                                (EDGE_AGENT_REGISTRAR)
  --tcti T                      the TPM: device[:/dev/tpmrm0] or swtpm:host=H,port=P
                                (default device) [tcti] (EDGE_AGENT_TCTI)
  --agent-id ID|hash_ek|dmi|devicetree|hostname
                                a literal id, or: hash_ek = SHA-256 of the EK public key's
                                PEM (keylime's), dmi = /sys/class/dmi/id/product_uuid,
                                devicetree = /proc/device-tree/serial-number, hostname
                                (default hash_ek) [agent_id] (EDGE_AGENT_AGENT_ID)
  --state-dir D                 where the AK and state.json are kept, mode 0600
                                (default /var/lib/edge-agent) [state_dir] (EDGE_AGENT_STATE_DIR)
  --ek-alg auto|rsa|ecc         which EK: auto = RSA when the TPM has an RSA EK
                                certificate, else ECC (default auto) [ek_alg] (EDGE_AGENT_EK_ALG)
  --endorsement-auth-file F     file holding the endorsement hierarchy's auth value (one
                                trailing newline ignored; "hex:…" for binary values)
                                [endorsement_auth_file] (EDGE_AGENT_ENDORSEMENT_AUTH_FILE);
                                or the value itself in EDGE_AGENT_ENDORSEMENT_AUTH. Never a
                                flag value: command lines are visible to every user
  --registrar-ca PEM            CA of the registrar's TLS certificate (https)
                                [registrar_ca] (EDGE_AGENT_REGISTRAR_CA)
  --registrar-key PEM           the registrar's Ed25519 public key (offline challenges)
                                [registrar_key] (EDGE_AGENT_REGISTRAR_KEY)
  --max-wait DURATION           how long to retry an unreachable registrar: 30s, 5m, 2h, 7d
                                (default 5m) [max_wait] (EDGE_AGENT_MAX_WAIT)
  Config file or environment only:
    [ek_handle] (EDGE_AGENT_EK_HANDLE)       a persistent EK handle, e.g. 0x81010001
    [contact_ip] (EDGE_AGENT_CONTACT_IP)     the ip sent to the registrar (default 127.0.0.1)
    [contact_port] (EDGE_AGENT_CONTACT_PORT) the port sent to the registrar (default 9002)`;

export const MAIN_HELP = `Usage: ${PROGRAM} <command> [options]

Registers this device's TPM with a keylime-compatible registrar: the EK certificate from NV,
the EK checked against it, an AK kept in the state dir, credential activation.

Commands:
  register                 register online (POST, ActivateCredential, PUT activate)
  status [--json]          what the state dir says about this device's registration
  offline request --out REQ
                           write an offline registration request file
  offline activate CHAL --registrar-key PEM --out RESP
                           answer the registrar's challenge file with a response file

Options:
  --version                print the agent's version
  -h, --help               show this help; every command has its own

${EXIT_STATUS}
`;

export const REGISTER_HELP = `Usage: ${PROGRAM} register [options] [--json]

Registers online, keylime's protocol: reads the EK certificate (and chain) from NV, makes the EK
from the matching template (or uses a persistent EK handle), checks it is the certificate's
key, creates the AK once (kept in the state dir and reused later), POSTs to
/v{ver}/agents/{id}, activates the credential blob in the TPM, PUTs the auth_tag. An
unreachable registrar (refused or reset connections, timeouts, 5xx, 429) is retried with
exponential backoff and jitter until --max-wait; progress goes to stderr. A 4xx refusal is not
retried: the registrar's reason is printed.

  --json                        print the outcome as one JSON object on stdout

${SETTINGS_HELP}

${EXIT_STATUS}
`;

export const STATUS_HELP = `Usage: ${PROGRAM} status [--state-dir D] [--config FILE] [--json]

Prints what the state dir records: the agent id, the registrar, the EK and AK, when the device
was registered and activated (and offline requests and responses). The TPM and the registrar
are not contacted.

  --json                        print one JSON object on stdout
  --state-dir D, --config FILE  as for register

Exit status:
  0  registered and active
  2  the state dir cannot be read
  7  not registered and active (never registered, registered but not activated, or an
     offline registration in progress)
`;

export const OFFLINE_HELP = `Usage: ${PROGRAM} offline <command> [options]

Registration through files, for a device with no network path to the registrar:
  1. ${PROGRAM} offline request --out REQ            (on the device)
  2. registrar offline challenge REQ --out CHAL      (at the registrar)
  3. ${PROGRAM} offline activate CHAL --registrar-key registrar.ed25519.pub --out RESP
  4. registrar offline activate RESP                 (the agent is then active)

Commands:
  request --out REQ                          write the request file (EK, EK certificate, AK)
  activate CHAL --registrar-key PEM --out RESP
                                             check CHAL's signature and addressee, then
                                             activate its credential and write the response

The settings of register apply (--tcti, --agent-id, --state-dir, --ek-alg, …).

${EXIT_STATUS}
`;

export const OFFLINE_REQUEST_HELP = `Usage: ${PROGRAM} offline request --out REQ [options] [--json]

Writes the offline request file REQ (DESIGN §5: {v, agent_id, ek_tpm, ekcert, aik_tpm,
created_at}, CBOR), making the AK if the state dir has none, and records the request in the
state dir for 'offline activate'.

  --out REQ                     where to write the request (by convention <agent_id>.request)
  --json                        print the outcome as one JSON object on stdout

${SETTINGS_HELP}

${EXIT_STATUS}
`;

export const OFFLINE_ACTIVATE_HELP = `Usage: ${PROGRAM} offline activate CHAL --registrar-key PEM --out RESP [options] [--json]

Checks the challenge file CHAL before touching the TPM: its COSE_Sign1 signature must be the
registrar's (--registrar-key, an Ed25519 public key PEM), it must be for this device's agent
id (as recorded by 'offline request') and not expired. Then activates the credential in the
TPM and writes the response file RESP ({v, agent_id, session, auth_tag}, CBOR).

  --registrar-key PEM           the registrar's Ed25519 public key (required)
  --out RESP                    where to write the response (by convention <agent_id>.response)
  --json                        print the outcome as one JSON object on stdout

${SETTINGS_HELP}

${EXIT_STATUS}
`;
