# shellcheck shell=bash
# slurm_fixture.sh - a real one-node Slurm cluster for a test (sourced, not run).
#
#   source tests/fleet/slurm_fixture.sh
#   slurm_fixture_start        # exits 77 with the reason where it cannot run, 1 if a daemon fails
#   sbatch ...                 # SLURM_CONF points at the private cluster
#   slurm_wait 40 JOBID...     # until every job (every array task) has ended or can never run
#   slurm_jobs JOBID           # one line per job or array task: ID STATE REASON EXITCODE
#   slurm_expect WHAT EXPECTED ACTUAL ... slurm_checks_done   # ok/FAIL lines, then exit 0 or 1
#
# What it starts: munged (a key made with mungekey, its own socket), slurmctld and slurmd, all in
# the foreground as children of the test, with a slurm.conf written to a temporary directory: one
# node with this machine's CPUs and memory as `slurmd -C` reports them, proctrack/linuxproc,
# task/none, select/cons_tres, no accounting, two free ports of its own (a system Slurm on
# 6817/6818 is not disturbed), state, spool and logs in the temporary directory. The node has the
# feature 'fixture' and is the partition 'fixture' (for --constraint and --partition).
# SLURM_FIXTURE_WORK is a directory for the test's files (shared by the test and its jobs).
#
# Stopping: on exit (also a failed check, SIGINT, SIGTERM) the EXIT trap cancels every job, stops
# the daemons by pid, then kills by pid what is left that carries this cluster's SLURM_CONF in its
# environment (slurmstepd and the jobs' processes outlive slurmd), and removes the directory. If
# the test is killed with SIGKILL (a ctest time limit), a reaper in its own session that waits
# for the test's pid does the same.
#
# Slurm asks getaddrinfo for IPv4 with AI_ADDRCONFIG, which finds nothing when 127.0.0.1 is the
# only IPv4 address (a container without a network): then the fixture adds 127.0.0.2 to lo and
# removes it again when the last fixture that needs it has stopped.
#
# Debian packages: slurmctld slurmd slurm-client munge (scripts/setup installs them).

slurm_fixture_src=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

# Job states after which a job never runs again (scontrol's JobState).
slurm_final_states=" COMPLETED FAILED CANCELLED TIMEOUT NODE_FAIL PREEMPTED BOOT_FAIL DEADLINE OUT_OF_MEMORY "

slurm_skip() {
  echo "SKIP: $*"
  exit 77
}

# ---- stopping (also run by the reaper, from the state in the directory) ----

# True while PID runs (a zombie does not: where pid 1 does not reap orphans, they stay zombies).
_slurm_alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}

# Stop PIDs: SIGTERM, up to 5 s for them to go, then SIGKILL.
_slurm_stop_pids() {
  local p left
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null
  local end=$((SECONDS + 5))
  while :; do
    left=()
    for p in "$@"; do _slurm_alive "$p" && left+=("$p"); done
    [ ${#left[@]} -eq 0 ] && return 0
    [ $SECONDS -lt $end ] || break
    sleep 0.1
  done
  kill -KILL "${left[@]}" 2>/dev/null
}

# Pids of the processes whose environment has this cluster's SLURM_CONF, but not this shell.
_slurm_cluster_pids() {
  local conf=$1 e pid
  for e in /proc/[0-9]*/environ; do
    pid=${e#/proc/}
    pid=${pid%/environ}
    [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
    grep -qzxF "SLURM_CONF=$conf" "$e" 2>/dev/null && echo "$pid"
  done
}

# True while a job of the cluster still has processes (running, or being killed).
_slurm_jobs_busy() {
  SLURM_CONF=$1 scontrol -o show jobs 2>/dev/null |
    grep -qE 'JobState=(RUNNING|COMPLETING|CONFIGURING|SUSPENDED|STOPPED|SIGNALING|RESIZING) '
}

_slurm_fixture_cleanup() {
  local dir=$1 d
  # What this shell starts from here on must not look like part of the cluster.
  unset SLURM_CONF
  [ -f "$dir/slurm.conf" ] || { rm -rf "$dir"; return 0; }
  # Cancel the jobs and give them KillWait (5 s) and a little to end: slurmd takes long to stop
  # while a job is ending, and slurmstepd does not stop on SIGTERM.
  if [ -f "$dir/pids/slurmctld" ] && _slurm_alive "$(cat "$dir/pids/slurmctld")"; then
    SLURM_CONF=$dir/slurm.conf timeout 5 scancel --quiet --user="$(id -un)" 2>/dev/null
    local end=$((SECONDS + 7))
    while _slurm_jobs_busy "$dir/slurm.conf" && [ $SECONDS -lt $end ]; do sleep 0.1; done
  fi
  for d in slurmctld slurmd munged; do
    [ -f "$dir/pids/$d" ] && _slurm_stop_pids "$(cat "$dir/pids/$d")"
  done
  # What is left of a cluster that is gone (slurmstepd, job processes, slurmctld's helper) has
  # nothing to save: SIGKILL.
  _slurm_cluster_pids "$dir/slurm.conf" | xargs -r kill -KILL 2>/dev/null
  [ -f "$dir/loopback" ] && _slurm_loopback_release "$dir"
  rm -rf "$dir"
}

# Called with --reap PID DIR: wait (in a session of its own) until PID is gone, then clean up,
# unless the test's own trap did (the directory is gone then).
if [ "${1:-}" = "--reap" ] && [ "${BASH_SOURCE[0]}" = "$0" ]; then
  trap '' INT HUP
  tail --pid="$2" -f /dev/null
  [ -d "$3" ] && _slurm_fixture_cleanup "$3"
  exit 0
fi

# ---- the loopback pitfall ----

_slurm_ipv4_resolves() {
  python3 -c 'import socket, sys
socket.getaddrinfo(sys.argv[1], None, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_ADDRCONFIG)' \
    "$1" 2>/dev/null
}

# Fixtures that rely on the added address hold a shared flock on the network namespace itself
# (every process in it opens the same /proc/self/ns/net inode) for their lifetime; the one that
# can take it exclusively at its end is the last and removes the address, which its label marks
# as the fixture's (one added by hand is left alone).
_slurm_lo_label=lo:qtopo

_slurm_loopback_added() { ip -o addr show dev lo label "$_slurm_lo_label" 2>/dev/null | grep -q 127.0.0.2/; }

_slurm_loopback_ensure() {
  local host=$1
  if ! command -v ip >/dev/null || ! command -v flock >/dev/null; then
    _slurm_ipv4_resolves "$host" && return 0
    slurm_skip "only 127.0.0.1 here and no 'ip' (iproute2) and 'flock' (util-linux) to add 127.0.0.2"
  fi
  # Under the lock, so that no other fixture adds or removes the address between the checks.
  exec {_slurm_lo_fd}</proc/self/ns/net
  flock -s "$_slurm_lo_fd"
  if _slurm_ipv4_resolves "$host" && ! _slurm_loopback_added; then
    exec {_slurm_lo_fd}<&-
    _slurm_lo_fd=
    return 0
  fi
  : >"$SLURM_FIXTURE_DIR/loopback"
  if ! _slurm_ipv4_resolves "$host"; then
    ip addr add 127.0.0.2/8 dev lo label "$_slurm_lo_label" 2>/dev/null &&
      echo "slurm fixture: added 127.0.0.2 to lo (127.0.0.1 was the only IPv4 address)"
    _slurm_ipv4_resolves "$host" ||
      slurm_skip "only 127.0.0.1 here and cannot add 127.0.0.2 to lo (needs CAP_NET_ADMIN)"
  fi
}

# Runs after every process of the cluster is gone (they inherit the lock's descriptor).
_slurm_loopback_release() {
  local fd
  [ -n "${_slurm_lo_fd:-}" ] && flock -u "$_slurm_lo_fd"
  exec {fd}</proc/self/ns/net
  if flock -x -n "$fd" && _slurm_loopback_added; then
    ip addr del 127.0.0.2/8 dev lo label "$_slurm_lo_label" 2>/dev/null &&
      echo "slurm fixture: removed 127.0.0.2 from lo"
  fi
  exec {fd}<&-
}

# ---- starting ----

_slurm_fail() {
  local f
  echo "FAIL: slurm fixture: $*"
  for f in "$SLURM_FIXTURE_DIR"/log/*; do
    [ -s "$f" ] && { echo "--- $f"; tail -15 "$f"; }
  done
  exit 1
}

# Two consecutive TCP ports free on every address, below the usual ephemeral range.
_slurm_free_ports() {
  python3 - <<'EOF'
import random, socket
def free(p):
    s = socket.socket()
    try:
        s.bind(("", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    p = random.randrange(20000, 30000, 2)
    if free(p) and free(p + 1):
        print(p, p + 1)
        break
EOF
}

# Wait up to SECS for COMMAND to succeed while daemon NAME is alive.
_slurm_wait_for() {
  local secs=$1 name=$2 end=$((SECONDS + $1))
  shift 2
  while [ $SECONDS -lt $end ]; do
    "$@" >/dev/null 2>&1 && return 0
    _slurm_alive "$(cat "$SLURM_FIXTURE_DIR/pids/$name")" || _slurm_fail "$name exited"
    sleep 0.1
  done
  _slurm_fail "$name not ready after ${secs}s ($*)"
}

# Start DAEMON ARGS... in the foreground of a background job; its pid goes to pids/DAEMON.
_slurm_daemon() {
  local name=$1
  shift
  "$@" </dev/null >"$SLURM_FIXTURE_DIR/log/$name.out" 2>&1 &
  echo $! >"$SLURM_FIXTURE_DIR/pids/$name"
  disown $! # bash would print "Killed" when the cleanup has to use SIGKILL
}

_slurm_node_idle() { [ "$(sinfo -h -n "$slurm_fixture_node" -o %t)" = idle ]; }

slurm_fixture_start() {
  local t0 c pkg node_line d
  t0=$(date +%s%N)
  [ "$(id -u)" -eq 0 ] || slurm_skip "slurmd must run as root to start jobs (running as $(id -un))"
  for c in munged:munge mungekey:munge munge:munge slurmctld:slurmctld slurmd:slurmd \
    slurmstepd:slurmd sbatch:slurm-client scontrol:slurm-client sinfo:slurm-client \
    scancel:slurm-client python3:python3 tail:coreutils setsid:util-linux; do
    pkg=${c#*:}
    c=${c%%:*}
    command -v "$c" >/dev/null || slurm_skip "no $c here (Debian package $pkg; scripts/setup installs it)"
  done
  # A test run inside a Slurm job (or with SBATCH_* defaults) must not pass them on.
  unset "${!SLURM_@}" "${!SBATCH_@}" "${!SALLOC_@}" "${!SRUN_@}"

  SLURM_FIXTURE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/qtopo-slurm.XXXXXX")
  # munged wants its socket's directory reachable by everyone, its key's directory private.
  chmod 755 "$SLURM_FIXTURE_DIR"
  export SLURM_FIXTURE_WORK=$SLURM_FIXTURE_DIR/work
  for d in run munge state spool log pids work; do mkdir -m 755 "$SLURM_FIXTURE_DIR/$d"; done
  chmod 700 "$SLURM_FIXTURE_DIR/munge"
  trap '_slurm_fixture_cleanup "$SLURM_FIXTURE_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM HUP
  setsid -f bash "$slurm_fixture_src" --reap $$ "$SLURM_FIXTURE_DIR" </dev/null >/dev/null 2>&1

  node_line=$(slurmd -C 2>/dev/null | head -1)
  slurm_fixture_node=$(sed -n 's/^NodeName=\([^ ]*\) .*/\1/p' <<<"$node_line")
  [ -n "$slurm_fixture_node" ] || slurm_skip "slurmd -C gave no node description"
  _slurm_loopback_ensure "$slurm_fixture_node"
  read -r slurm_fixture_ctld_port slurm_fixture_slurmd_port < <(_slurm_free_ports)
  [ -n "${slurm_fixture_slurmd_port:-}" ] || _slurm_fail "no two free ports in 20000-30000"

  local dir=$SLURM_FIXTURE_DIR
  export SLURM_CONF=$dir/slurm.conf
  : >"$dir/plugstack.conf"
  cat >"$SLURM_CONF" <<EOF
ClusterName=qtopo-fixture
SlurmctldHost=$slurm_fixture_node(127.0.0.1)
SlurmctldPort=$slurm_fixture_ctld_port
SlurmdPort=$slurm_fixture_slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/run/munge.sock
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
# Ended jobs stay visible to scontrol for the test's life (there is no accounting to ask).
MinJobAge=3600
# Schedule a submitted job at once instead of gathering submissions for 3 s.
SchedulerParameters=batch_sched_delay=0
KillWait=5
$node_line Features=fixture NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=fixture Nodes=$slurm_fixture_node Default=YES MaxTime=INFINITE State=UP
EOF

  mungekey -c -k "$dir/munge/munge.key" >/dev/null 2>&1 || _slurm_fail "mungekey -c failed"
  _slurm_daemon munged munged -F --socket="$dir/run/munge.sock" --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/run/munged.pid" --seed-file="$dir/munge/seed" --log-file="$dir/log/munged.log"
  _slurm_wait_for 10 munged munge -n -S "$dir/run/munge.sock"
  _slurm_daemon slurmctld slurmctld -D -i -f "$SLURM_CONF"
  _slurm_wait_for 20 slurmctld bash -c 'scontrol ping | grep -q "is UP"'
  # -d: where slurmstepd is, in case it is not where slurmd was built to look.
  _slurm_daemon slurmd slurmd -D -f "$SLURM_CONF" -N "$slurm_fixture_node" -d "$(command -v slurmstepd)"
  _slurm_wait_for 30 slurmd _slurm_node_idle
  t0=$((($(date +%s%N) - t0) / 1000000))
  printf -v slurm_fixture_start_s '%d.%03d' $((t0 / 1000)) $((t0 % 1000))
  echo "slurm fixture: node $slurm_fixture_node idle after ${slurm_fixture_start_s}s" \
    "(ports $slurm_fixture_ctld_port/$slurm_fixture_slurmd_port, $dir)"
}

# ---- jobs ----

# One line per job, or per array task once Slurm has split the array (before that, a pending
# array is one line with a range in its id): ID STATE REASON EXITCODE (status:signal).
slurm_jobs() {
  scontrol -o show job "$1" 2>/dev/null | awk '{
    delete f
    for (i = 1; i <= NF; i++) { k = $i; sub(/=.*/, "", k); v = $i; sub(/^[^=]*=/, "", v); f[k] = v }
    id = ("ArrayTaskId" in f) ? f["ArrayJobId"] "_" f["ArrayTaskId"] : f["JobId"]
    print id, f["JobState"], f["Reason"], f["ExitCode"]
  }'
}

# True when no job of JOBID can run any more: each has ended, or waits on a dependency that can
# never be satisfied (Slurm keeps such a job pending unless it was submitted with
# --kill-on-invalid-dep=yes, which cancels it).
slurm_ended() {
  local lines state reason
  lines=$(slurm_jobs "$1")
  [ -n "$lines" ] || return 1
  while read -r _ state reason _; do
    case "$slurm_final_states" in *" $state "*) continue ;; esac
    [ "$state" = PENDING ] && [ "$reason" = DependencyNeverSatisfied ] && continue
    return 1
  done <<<"$lines"
}

# slurm_wait SECS JOBID...: 0 when every job has ended within SECS; else 1, with their states.
slurm_wait() {
  local secs=$1 j left end=$((SECONDS + $1))
  shift
  while :; do
    left=()
    for j in "$@"; do slurm_ended "$j" || left+=("$j"); done
    [ ${#left[@]} -eq 0 ] && return 0
    [ $SECONDS -lt $end ] || break
    sleep 0.2
  done
  echo "slurm_wait: not ended after ${secs}s:"
  for j in "${left[@]}"; do slurm_jobs "$j" | sed 's/^/  /'; done
  return 1
}

# The jobs of JOBID that did not complete, one line each: ID STATE REASON EXITCODE.
slurm_not_completed() { slurm_jobs "$1" | awk '$2 != "COMPLETED"'; }

# ---- checks ----

slurm_fails=0
slurm_expect() { # description expected actual
  if [ "$2" = "$3" ]; then
    echo "ok   $1"
  else
    printf 'FAIL %s\n  expected: %s\n  got:      %s\n' "$1" "${2//$'\n'/ | }" "${3//$'\n'/ | }"
    slurm_fails=$((slurm_fails + 1))
  fi
}

# Exit 0 after "pass" when every slurm_expect held, else 1.
slurm_checks_done() {
  [ $slurm_fails -eq 0 ] || { echo "$slurm_fails check(s) failed"; exit 1; }
  echo pass
  exit 0
}
