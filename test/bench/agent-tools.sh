#!/usr/bin/env bash
# The baseline of agent.bench.ts: the TPM work of one edge-agent registration (RSA EK, new AK)
# done with tpm2-tools, one program per TPM command, as a shell script on a board would. The
# credential is made here with tpm2_makecredential -T none (no TPM, no registrar involved), so
# the script is the agent's TPM traffic plus the process starts, and checks nothing.
#
# Like the agent, it works in two TPM phases (the agent closes the TPM while it waits for the
# registrar): identity (EK certs from NV, EK from its template, AK created under it) and
# activation (EK again, AK loaded under it, ActivateCredential). Without a resource manager each
# tool leaves its object loaded and the next one loads it again from its saved context, so the
# script flushes transients after each step (swtpm has room for three objects).
#
#   agent-tools.sh TCTI WORKDIR
set -euo pipefail
export TPM2TOOLS_TCTI="$1"
cd "$2"

# Phase 1, identity: every EK certificate index (low range) and the chain range, as listed by
# the TPM, then the RSA EK (template L-1) and a new RSA AK (RSASSA, SHA-256) under it.
for index in $(tpm2_getcap handles-nv-index | sed -n 's/^- *//p'); do
  n=$((index))
  if { [ $n -ge $((0x01c00002)) ] && [ $n -le $((0x01c0001f)) ]; } || { [ $n -ge $((0x01c00100)) ] && [ $n -le $((0x01c001ff)) ]; }; then
    tpm2_nvread -C o -o "nv-$index.der" "$index"
  fi
done
tpm2_createek -G rsa -c ek.ctx -u ek.pub >/dev/null
tpm2_flushcontext -t
tpm2_createak -C ek.ctx -G rsa -g sha256 -s rsassa -c ak.ctx -u ak.pub -r ak.priv -n ak.name >/dev/null
tpm2_flushcontext -t

# The registrar's part, off the TPM: a credential for this AK's name under the EK.
head -c 32 /dev/urandom >secret.bin
tpm2_makecredential -T none -u ek.pub -s secret.bin -n "$(od -An -v -tx1 ak.name | tr -d ' \n')" -o cred.bin

# Phase 2, activation: the EK again, the AK loaded under it (EK policy: PolicySecret(endorsement)),
# ActivateCredential, flush.
tpm2_createek -G rsa -c ek2.ctx -u ek2.pub >/dev/null
tpm2_flushcontext -t
tpm2_startauthsession --policy-session -S load.ctx
tpm2_policysecret -S load.ctx -c e >/dev/null
tpm2_load -C ek2.ctx -P "session:load.ctx" -u ak.pub -r ak.priv -c ak2.ctx >/dev/null
tpm2_flushcontext load.ctx
tpm2_flushcontext -t
tpm2_startauthsession --policy-session -S session.ctx
tpm2_policysecret -S session.ctx -c e >/dev/null
tpm2_activatecredential -c ak2.ctx -C ek2.ctx -i cred.bin -o recovered.bin -P "session:session.ctx"
tpm2_flushcontext session.ctx
tpm2_flushcontext -t
cmp -s secret.bin recovered.bin
