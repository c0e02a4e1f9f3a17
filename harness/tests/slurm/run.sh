#!/usr/bin/env bash
# make test-slurm: the Slurm path tested against a real Slurm, not a mock.
#
# Installs slurm-wlm and munge from Debian if they are missing (needs root), starts munged,
# slurmctld and slurmd on 127.0.0.1 (one node with this machine's cores, no cgroups, no
# systemd) under a fresh temporary folder, submits two tiny manifests as a 3-task job array
# plus a collect job through `harness slurm --submit`, waits, and checks that
#   - every array task and the collect job ended COMPLETED,
#   - the results are byte-identical to a local run (all files but run.json and SHA256SUMS),
#   - each unit was computed exactly once (the `unit-computed` lines of the task logs), and
#     the collect job computed nothing,
#   - `harness verify` passes on the shared artifacts folder.
# The daemons it started are stopped on exit, whatever happens. Any failure, including Slurm
# failing to start, exits non-zero with the reason and the daemons' logs (the temporary folder
# is kept then, and on success with SLURM_TEST_KEEP=1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$ROOT"
HARNESS="$ROOT/target/release/harness"
MANIFESTS=(harness/tests/slurm/tiny_relu.yaml harness/tests/slurm/tiny_linear.yaml)
JOBS_NAME="tiny_relu+tiny_linear"
SHARDS=3
WAIT_LIMIT=${SLURM_TEST_WAIT:-600}

say() { echo "test-slurm: $*"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Seconds since a now_ms reading, with one decimal.
since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
WORK=""
fail() {
    echo "test-slurm: FAIL: $*" >&2
    if [ -n "$WORK" ]; then
        for log in "$WORK"/munged.out "$WORK"/slurmctld.log "$WORK"/slurmctld.out "$WORK"/slurmd.log "$WORK"/slurmd.out; do
            [ -f "$log" ] && { echo "--- last lines of $log" >&2; tail -n 25 "$log" >&2; }
        done
        echo "test-slurm: everything is kept in $WORK" >&2
    fi
    exit 1
}
[ -x "$HARNESS" ] || fail "$HARNESS is missing: run \`make build\` first"

# ---- install ----
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
    || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    [ "$(id -u)" = 0 ] || fail "slurm-wlm and munge are not installed and installing them needs root"
    say "installing slurm-wlm and munge"
    apt-get update || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge \
        || fail "cannot install slurm-wlm and munge"
fi
MUNGED=$(command -v munged || echo /usr/sbin/munged)

# ---- configuration ----
WORK=$(mktemp -d /tmp/harness-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
stop_daemons() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap stop_daemons EXIT

HOST=$(hostname -s)
NODE=harnessnode
CPUS=$(nproc)
mkdir -p "$WORK/munge" "$WORK/state" "$WORK/spool"
chmod 711 "$WORK/munge"
head -c 1024 /dev/urandom > "$WORK/munge/munge.key"
chmod 400 "$WORK/munge/munge.key"
SOCKET="$WORK/munge/munge.sock"
# Ports away from the defaults, so that a Slurm already on this machine is left alone.
cat > "$WORK/slurm.conf" <<EOF
ClusterName=harnesstest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SchedulerParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
NodeName=$NODE NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS State=UNKNOWN
PartitionName=harness Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$WORK/slurm.conf"

# ---- start ----
started=$(now_ms)
"$MUNGED" --force --foreground --key-file="$WORK/munge/munge.key" --socket="$SOCKET" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
    --log-file="$WORK/munged.log" > "$WORK/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || fail "munged did not start"
slurmctld -D -c -f "$SLURM_CONF" > "$WORK/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N "$NODE" -f "$SLURM_CONF" > "$WORK/slurmd.out" 2>&1 &
PIDS+=($!)
state=""
for _ in $(seq 120); do
    state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || fail "Slurm did not start: node $NODE is '${state:-unreachable}' after 60 s"
start_s=$(since "$started")
say "Slurm up (node $NODE, $CPUS CPUs) in ${start_s} s"

# ---- submit and wait ----
ARTIFACTS="$WORK/artifacts"
submitted=$(now_ms)
out=$("$HARNESS" --artifacts "$ARTIFACTS" slurm "${MANIFESTS[@]}" --shards $SHARDS --cpus 1 \
    --time 10:00 --submit) || fail "harness slurm --submit failed: $out"
echo "$out"
ARRAY=$(sed -n 's/^array job \([0-9]*\) .*/\1/p' <<<"$out")
COLLECT=$(sed -n 's/^collect job \([0-9]*\) .*/\1/p' <<<"$out")
[ -n "$ARRAY" ] && [ -n "$COLLECT" ] || fail "no job ids in the output of harness slurm"
for _ in $(seq "$WAIT_LIMIT"); do
    [ -z "$(squeue -h -j "$ARRAY,$COLLECT" -o %i 2>/dev/null)" ] && break
    sleep 1
done
[ -z "$(squeue -h -j "$ARRAY,$COLLECT" -o %i)" ] \
    || fail "jobs still queued after $WAIT_LIMIT s: $(squeue -j "$ARRAY,$COLLECT")"
jobs_s=$(since "$submitted")

# ---- checks ----
states=$(scontrol -o show job "$ARRAY" | grep -o 'JobState=[A-Z_]*' | sort | uniq -c)
tasks=$(scontrol -o show job "$ARRAY" | grep -c 'JobState=COMPLETED' || true)
[ "$tasks" = $SHARDS ] || fail "$tasks of $SHARDS array tasks COMPLETED: $states"
scontrol -o show job "$COLLECT" | grep -q 'JobState=COMPLETED' \
    || fail "collect job: $(scontrol -o show job "$COLLECT" | grep -o 'JobState=[A-Z_]* Reason=[^ ]*')"
say "all $SHARDS array tasks and the collect job COMPLETED in ${jobs_s} s (submit to end)"

LOGS="$ARTIFACTS/slurm/$JOBS_NAME/logs"
units=$(cat "$LOGS"/shard-*-job"$ARRAY".log | awk '$1 == "unit-computed" {print $2, $3}')
twice=$(sort <<<"$units" | uniq -d)
[ -z "$twice" ] || fail "units computed more than once: $twice"
expected=0
for m in "${MANIFESTS[@]}"; do
    n=$("$HARNESS" --artifacts "$WORK/empty" plan "$m" | grep -c -E '^(member|pair|tie) ')
    expected=$((expected + n))
done
got=$(grep -c . <<<"$units")
[ "$got" = "$expected" ] || fail "the task logs show $got units computed, the plans have $expected"
! grep -q '^unit-computed' "$LOGS"/collect-job"$COLLECT".log \
    || fail "the collect job computed units"
say "each of the $expected units computed exactly once across the array tasks; collect computed none"

local_started=$(now_ms)
"$HARNESS" --artifacts "$WORK/local" --quiet run "${MANIFESTS[@]}" > "$WORK/local.out" 2>&1 \
    || fail "local run failed"
local_s=$(since "$local_started")
compared=0
for name in tiny_relu tiny_linear; do
    for f in "$WORK/local/results/$name"/*; do
        base=$(basename "$f")
        [ "$base" = run.json ] || [ "$base" = SHA256SUMS ] && continue
        cmp "$f" "$ARTIFACTS/results/$name/$base" || fail "results/$name/$base differs from a local run"
        compared=$((compared + 1))
    done
done
[ "$compared" -ge 12 ] || fail "only $compared result files compared"
"$HARNESS" --artifacts "$ARTIFACTS" verify > /dev/null || fail "harness verify failed on the shared folder"
say "$compared result files byte-identical to a local run (${local_s} s); verify clean"
stop_daemons
say "PASS (Slurm start ${start_s} s, array + collect ${jobs_s} s, local run ${local_s} s)"
if [ -n "${SLURM_TEST_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
