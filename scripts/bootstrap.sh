#!/usr/bin/env bash
# Idempotent bootstrap (DESIGN §2). Plain bash: it must work before node_modules exists.
# - installs missing apt packages when running as root on Debian;
# - for the arm64 single executable (build and tests): qemu-user-static, and the arm64 C and
#   C++ runtimes through Debian multiarch, so qemu-aarch64-static runs the arm64 node binary;
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
  [qemu-aarch64-static]=qemu-user-static
)
missing=()
for bin in "${!NEED[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || missing+=("${NEED[$bin]}")
done

# The arm64 node binary is dynamically linked: under qemu-aarch64-static it needs the arm64
# loader, libc and libstdc++, which Debian installs side by side with the host's (multiarch).
ARM64_LIBS=(libc6:arm64 libstdc++6:arm64)
arm64_missing=()
for pkg in "${ARM64_LIBS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || arm64_missing+=("$pkg")
done

can_apt=false
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
  can_apt=true
fi

if ((${#missing[@]} + ${#arm64_missing[@]})); then
  if $can_apt; then
    export DEBIAN_FRONTEND=noninteractive
    # The arm64 package lists only come with `apt-get update` after the architecture is added.
    if ((${#arm64_missing[@]})) && ! dpkg --print-foreign-architectures | grep -qx arm64; then
      log "adding the arm64 architecture (dpkg --add-architecture arm64)"
      dpkg --add-architecture arm64
    fi
    log "installing apt packages: ${missing[*]} ${arm64_missing[*]}"
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" "${arm64_missing[@]}" >/dev/null
  elif ((${#missing[@]})); then
    log "missing packages: ${missing[*]} ${arm64_missing[*]}; install them" \
      "(apt-get install ${missing[*]} ${arm64_missing[*]}, after dpkg --add-architecture arm64) and re-run"
    exit 1
  else
    log "missing arm64 libraries: ${arm64_missing[*]}; the arm64 executable will not run under qemu" \
      "until they are installed (dpkg --add-architecture arm64; apt-get install ${arm64_missing[*]})"
  fi
fi

# sqlite3's prebuilt download is unreachable: build native addons from source straight away.
export npm_config_build_from_source=true
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
