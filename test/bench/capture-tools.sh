#!/usr/bin/env bash
# The baseline of capture.bench.ts: the TPM reads of one factory capture done with tpm2-tools,
# one program per TPM command, as a shell script on a station would. Checks nothing (no cert
# parsing, no chain, no comparison): only the TPM traffic and the process starts.
#
#   capture-tools.sh TCTI WORKDIR
set -euo pipefail
export TPM2TOOLS_TCTI="$1"
cd "$2"

tpm2_getcap properties-fixed >fixed.txt

# Every EK certificate index (low and high range) and the chain range, as listed by the TPM.
ek_types=()
for index in $(tpm2_getcap handles-nv-index | sed -n 's/^- *//p'); do
  n=$((index))
  if { [ $n -ge $((0x01c00002)) ] && [ $n -le $((0x01c0001f)) ]; } || { [ $n -ge $((0x01c00100)) ] && [ $n -le $((0x01c001ff)) ]; }; then
    tpm2_nvreadpublic "$index" >"nv-$index.txt"
    tpm2_nvread -C o -o "nv-$index.der" "$index"
    case $n in
      $((0x01c00002))) ek_types+=(rsa) ;;
      $((0x01c0000a))) ek_types+=(ecc) ;;
    esac
  fi
done

# Each EK from its template; the first one is kept for the credential round trip.
first=""
for t in "${ek_types[@]}"; do
  tpm2_createek -G "$t" -c "ek-$t.ctx" -u "ek-$t.pub" >/dev/null
  tpm2_flushcontext -t
  [ -n "$first" ] || first=$t
done

# Credential activation round trip with the first EK: AK, make (offline), activate.
tpm2_createek -G "$first" -c ek.ctx -u ek.pub >/dev/null
tpm2_createak -C ek.ctx -c ak.ctx -u ak.pub -n ak.name >/dev/null
tpm2_flushcontext -t
head -c 32 /dev/urandom >secret.bin
tpm2_makecredential -T none -u ek.pub -s secret.bin -n "$(od -An -v -tx1 ak.name | tr -d ' \n')" -o cred.bin
tpm2_flushcontext -t
tpm2_startauthsession --policy-session -S session.ctx
tpm2_policysecret -S session.ctx -c e >/dev/null
tpm2_activatecredential -c ak.ctx -C ek.ctx -i cred.bin -o recovered.bin -P "session:session.ctx"
tpm2_flushcontext session.ctx
tpm2_flushcontext -t
cmp -s secret.bin recovered.bin
