// Numbered schema migrations (DESIGN §6). The database's `PRAGMA user_version` is the number of
// the last one applied; each runs in its own transaction. Never edit a migration that has
// shipped: add the next one.
//
// Conventions: times are integer epoch seconds; binary values (keys, digests, TPM2B
// structures, DER) are BLOBs; `ek_pub_sha256` is the SHA-256 of the EK's SubjectPublicKeyInfo
// (DESIGN §4), the registrar's identity key for a TPM.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const INITIAL = `
-- Paths of the registrar's own keys (registrar init), and other small settings.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Factory stations whose signatures are trusted (stations add). kid = first 16 bytes of the
-- SHA-256 of the raw Ed25519 public key (DESIGN §5). last_seq/last_digest: the newest bundle
-- of the station's chain imported so far.
CREATE TABLE stations (
  name        TEXT PRIMARY KEY,
  kid         BLOB NOT NULL UNIQUE,
  public_key  BLOB NOT NULL,
  added_at    INTEGER NOT NULL,
  retired_at  INTEGER,
  last_seq    INTEGER,
  last_digest BLOB
);

-- Every bundle imported, by the SHA-256 of its plain bytes (what the next bundle's prev is).
CREATE TABLE bundles (
  digest      BLOB PRIMARY KEY,
  bundle_id   TEXT NOT NULL,
  station     TEXT NOT NULL REFERENCES stations(name),
  seq         INTEGER NOT NULL,
  prev        BLOB,
  created_at  INTEGER NOT NULL,
  count       INTEGER NOT NULL,
  accepted    INTEGER NOT NULL,
  rejected    INTEGER NOT NULL,
  chain_note  TEXT,
  imported_at INTEGER NOT NULL
);
CREATE INDEX bundles_station_seq ON bundles(station, seq);

-- Manufacturer CA certificates EK certificates must chain to.
CREATE TABLE cas (
  sha256     BLOB PRIMARY KEY,
  der        BLOB NOT NULL,
  subject    TEXT NOT NULL,
  source     TEXT,
  added_at   INTEGER NOT NULL,
  retired_at INTEGER
);

-- One row per board (TPM) the registrar knows: pre-registered from a station's manifest or a
-- tpm-endorsements request. state: pre-registered → registered (POST accepted) → active
-- (credential activated); revoked at any point, restored to state_before_revoke.
CREATE TABLE devices (
  id                  INTEGER PRIMARY KEY,
  serial              TEXT NOT NULL,
  hw_uuid             TEXT,
  model               TEXT,
  source              TEXT NOT NULL CHECK (source IN ('bundle', 'manifest', 'endorsement')),
  station             TEXT REFERENCES stations(name),
  bundle_digest       BLOB REFERENCES bundles(digest),
  captured_at         INTEGER,
  tpm_manufacturer    TEXT,
  tpm_vendor          TEXT,
  tpm_fw              TEXT,
  manifest            BLOB,
  comment             TEXT,
  state               TEXT NOT NULL
                      CHECK (state IN ('pre-registered', 'registered', 'active', 'revoked')),
  state_before_revoke TEXT,
  revoked_reason      TEXT,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);
CREATE INDEX devices_station_captured ON devices(station, captured_at);
CREATE INDEX devices_serial ON devices(serial);
CREATE INDEX devices_state ON devices(state);

-- The EKs of each device. ek_pub is the TPM2B_PUBLIC (null for a device pre-registered by
-- its hash alone, the allow-list mode); cert the DER EK certificate, when the TPM has one.
CREATE TABLE device_eks (
  ek_pub_sha256 BLOB PRIMARY KEY,
  device_id     INTEGER NOT NULL REFERENCES devices(id),
  alg           TEXT,
  template      TEXT,
  ek_pub        BLOB,
  cert          BLOB,
  cert_nv       INTEGER
);
CREATE INDEX device_eks_device ON device_eks(device_id);

-- What happened to each device, newest last.
CREATE TABLE device_events (
  id        INTEGER PRIMARY KEY,
  device_id INTEGER NOT NULL REFERENCES devices(id),
  at        INTEGER NOT NULL,
  event     TEXT NOT NULL,
  detail    TEXT
);
CREATE INDEX device_events_device ON device_events(device_id, id);

-- Agents that registered (keylime's registrar table). active = credential activated.
CREATE TABLE agents (
  agent_id      TEXT PRIMARY KEY,
  device_id     INTEGER REFERENCES devices(id),
  ek_pub_sha256 BLOB NOT NULL,
  ek_tpm        BLOB NOT NULL,
  ekcert        BLOB,
  aik_tpm       BLOB NOT NULL,
  ak_name       BLOB NOT NULL,
  mtls_cert     TEXT,
  ip            TEXT,
  port          INTEGER,
  active        INTEGER NOT NULL DEFAULT 0,
  regcount      INTEGER NOT NULL DEFAULT 1,
  registered_at INTEGER NOT NULL,
  activated_at  INTEGER
);
CREATE INDEX agents_ek ON agents(ek_pub_sha256);
CREATE INDEX agents_device ON agents(device_id);

-- Credential activation challenges, online (5 minutes) and offline (7 days). Only the SHA-256
-- of the expected auth_tag is kept: the challenge secret itself is never stored. A session is
-- used at most once (used_at), whatever its outcome.
CREATE TABLE challenges (
  session    TEXT PRIMARY KEY,
  agent_id   TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('online', 'offline')),
  tag_sha256 BLOB NOT NULL,
  ak_name    BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  outcome    TEXT
);
CREATE INDEX challenges_agent ON challenges(agent_id, created_at);

-- Admin API bearer tokens: only their SHA-256 is stored; the token is shown once.
CREATE TABLE tokens (
  id           TEXT PRIMARY KEY,
  sha256       BLOB NOT NULL UNIQUE,
  name         TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER,
  last_used_at INTEGER
);

-- Append-only audit log: each entry's hash covers its fields and the previous entry's hash
-- (audit/audit-log.ts), so 'registrar audit verify' finds any change, removal or reordering.
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  subject   TEXT,
  detail    TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash      BLOB NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END
`;

// The manufacturer-CA generation (settings 'cas.generation', bumped by every CA added or
// retired) under which an import verified all of a device's EK certificates, at its capture
// time. A registration presenting the same certificate bytes while the generation is unchanged
// would get the same verdict, so it is not verified again (cloud/registration/admission.ts).
// NULL: not verified at import (tpm-endorsements, older imports), verify at registration.
// A change to the chain rules themselves must ship with a migration that sets it back to NULL.
const CERTS_CA_GENERATION = `ALTER TABLE devices ADD COLUMN certs_ca_generation INTEGER`;

// The devices a bundle brought, as the range of their ids on the bundle's row instead of a
// digest on every device row. An import learns the bundle's digest only at its end (the SHA-256
// of all its bytes), so writing it into each device meant a second pass over every row just
// written, which moved each row again (the rows grew): 7–20 % of a 100k-device import's time.
// One import's devices always have consecutive ids (it holds the write transaction alone and
// takes ids after the largest). The ranges of the bundles imported so far are taken from
// devices.bundle_digest, which is then neither written nor read: sqlite cannot drop a column
// that is a foreign key, and clearing it would rewrite every imported device row (gigabytes on
// a large registrar) for nothing. Older rows keep the digest their range gives anyway.
const BUNDLE_DEVICE_RANGES = `
ALTER TABLE bundles ADD COLUMN first_device INTEGER;
ALTER TABLE bundles ADD COLUMN last_device INTEGER;
UPDATE bundles SET first_device = r.lo, last_device = r.hi
  FROM (SELECT bundle_digest, MIN(id) AS lo, MAX(id) AS hi FROM devices
         WHERE bundle_digest IS NOT NULL GROUP BY bundle_digest) AS r
 WHERE bundles.digest = r.bundle_digest;
CREATE INDEX bundles_first_device ON bundles(first_device)
`;

// An imported EK's public area and certificate are runs of bytes of its device's signed
// manifest, which the device row keeps as evidence. Writing them again in the EK row took ~950
// of the ~3,300 bytes an imported device used in the database file (100,000-device bench
// import: 330 MB with, 235 MB without). An EK row now says where they lie in the manifest
// (1-based offset and length, as substr takes them) and leaves ek_pub / cert NULL; devices.ts
// reads either form. EKs whose bytes are not in a manifest (tpm-endorsements) and the rows of
// earlier imports keep them in the row: rewriting those would gain nothing that matters.
const EK_BYTES_IN_MANIFEST = `
ALTER TABLE device_eks ADD COLUMN pub_at INTEGER;
ALTER TABLE device_eks ADD COLUMN pub_len INTEGER;
ALTER TABLE device_eks ADD COLUMN cert_at INTEGER;
ALTER TABLE device_eks ADD COLUMN cert_len INTEGER
`;

// The open sessions of an agent, which a new registration ends (supersedeChallenges). Sessions
// are kept once used (the audit trail), and an agent registers again at every start, so
// challenges_agent lists all the sessions it ever had: the UPDATE read each of them from the
// table to test used_at, a cost that grew with every registration. This index holds only the
// open sessions, usually none or one per agent. In the registration bench (512 agents
// registering in a loop, interleaved runs) the registrar's CPU per registration went from
// 749–777 to 670–692 µs at concurrency 64.
const OPEN_CHALLENGES = `CREATE INDEX challenges_open ON challenges(agent_id) WHERE used_at IS NULL`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial schema", sql: INITIAL },
  { version: 2, name: "EK certificates verified at import, by CA generation", sql: CERTS_CA_GENERATION },
  { version: 3, name: "a bundle's devices as a range of ids", sql: BUNDLE_DEVICE_RANGES },
  { version: 4, name: "imported EK bytes read from the manifest", sql: EK_BYTES_IN_MANIFEST },
  { version: 5, name: "an index of the open challenges", sql: OPEN_CHALLENGES },
];
