#!/bin/sh
# test_slurm.sh - `make test-slurm` (opt-in): a single-node Slurm (Debian's slurm-wlm and munge)
# started here in a scratch directory, a sweep submitted as the job array that
# `warmup sweep --emit-slurm` prints (and its dependent collect step), and the daemons stopped
# after. The array's results.csv must equal, byte for byte, the one-machine sweep's.
# Needs root (the daemons run as root); prints "skipped: ..." when Slurm or munge is missing.
# Usage: sh tests/test_slurm.sh build/warmup
W=${1:-build/warmup}
case "$W" in /*) ;; *) W="$(pwd)/$W" ;; esac
export OMP_NUM_THREADS=1
pass=0; fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
for t in slurmctld slurmd sbatch squeue munged; do
    if ! command -v $t > /dev/null 2>&1 && [ ! -x /usr/sbin/$t ]; then
        echo "  skipped: Slurm as a job array: $t is missing (apt-get install slurm-wlm munge)"
        echo "test_slurm: 0 passed, 0 failed"; exit 0
    fi
done
if [ "$(id -u)" != 0 ]; then
    echo "  skipped: Slurm as a job array: the daemons need root"
    echo "test_slurm: 0 passed, 0 failed"; exit 0
fi
PATH="$PATH:/usr/sbin"
T=$(mktemp -d)
host=$(hostname -s)
mkdir -p "$T/state" "$T/spool" "$T/munge" "$T/run"
# munge: a key of our own and a socket in the scratch directory
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2> /dev/null; chmod 400 "$T/munge/munge.key"
MSOCK="$T/run/munge.socket"
munged --force --key-file="$T/munge/munge.key" --socket="$MSOCK" --pid-file="$T/run/munged.pid" \
    --log-file="$T/munge/munged.log" --seed-file="$T/munge/seed" || { bad "munged did not start"; }
cat > "$T/slurm.conf" <<EOF
ClusterName=wutest
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=16817
SlurmdPort=16818
AuthType=auth/munge
AuthInfo=socket=$MSOCK
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$T/slurm.conf"
stop() {
    for p in slurmd slurmctld munged; do
        [ -s "$T/run/$p.pid" ] && kill "$(cat "$T/run/$p.pid")" 2> /dev/null
    done
    sleep 1
    rm -rf "$T"
}
trap stop EXIT
slurmctld -f "$SLURM_CONF" || bad "slurmctld did not start: $(tail -3 "$T/slurmctld.log")"
slurmd -f "$SLURM_CONF" || bad "slurmd did not start: $(tail -3 "$T/slurmd.log")"
n=0
until sinfo -h -o %t 2> /dev/null | grep -q idle || [ $n -ge 60 ]; do sleep 1; n=$((n + 1)); done
sinfo -h -o %t 2> /dev/null | grep -q idle && ok || bad "the node never came up: $(sinfo 2>&1 | tail -2); $(tail -3 "$T/slurmctld.log")"

G="--layers 1 --heads 1 --dim 8 --seq 4 --batch 2 --steps 30 --lrs 1e-3,1e-2 --warmups 0,25%"
cd "$T" || exit 1
"$W" sweep $G --out ref -q || bad "the reference sweep"
"$W" sweep $G --out arr --emit-slurm > job.sh || bad "--emit-slurm"
sh job.sh > submit.txt 2>&1 && grep -q 'submitted: job array' submit.txt && ok || bad "sh job.sh: $(cat submit.txt)"
n=0
until [ -z "$(squeue -h 2> /dev/null)" ] || [ $n -ge 180 ]; do sleep 1; n=$((n + 1)); done
[ -z "$(squeue -h 2> /dev/null)" ] && ok || bad "jobs still queued after 180 s: $(squeue 2>&1 | head -5)"
cmp -s ref/results.csv arr/results.csv && ok || bad "the job array's results.csv (written by the collect step) differs: $(ls arr; cat slurm-*.out 2> /dev/null | tail -5)"
echo "test_slurm: $pass passed, $fail failed"
[ $fail -eq 0 ]
