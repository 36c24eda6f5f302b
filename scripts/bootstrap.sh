#!/usr/bin/env bash
# Idempotent bootstrap (DESIGN §2). Plain bash: it must work before node_modules exists.
# - installs missing apt packages when running as root on Debian;
# - runs `npm ci` when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*" >&2; }

# Tool binary -> Debian package that provides it.
declare -A NEED=(
  [swtpm]=swtpm
  [swtpm_setup]=swtpm-tools
  [tpm2_createek]=tpm2-tools
  [openssl]=openssl
)
missing=()
for bin in "${!NEED[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${NEED[$bin]}")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "missing packages: ${missing[*]}; install them (apt-get install ${missing[*]}) and re-run"
    exit 1
  fi
fi

# sqlite3's prebuilt download is unreachable: build native addons from source straight away.
export npm_config_build_from_source=true
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
