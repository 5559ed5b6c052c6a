#!/usr/bin/env bash
# The harness's auxiliary threads (the CPU sampler, the watchdog): on PUs the cell leaves free
# when there are some, recorded as sharing the measured PUs when there are none. Each row says
# which shared them (aux_shared); while a rep runs, /proc shows where they are allowed to run.
source "$(dirname "$0")/test_e2e_lib.sh"

npu=$(nproc)
[ "$npu" -ge 2 ] || { echo "SKIP: needs 2 PUs, this process has $npu"; exit 77; }
# ThreadSanitizer runs a background thread of its own in every process, bound nowhere: it is not
# one of qtopo's threads, and this check cannot tell it from one.
if ldd "$qtopo" 2>/dev/null | grep -q libtsan; then
  echo "SKIP: a ThreadSanitizer build has an unbound thread of its own in the cell's process"
  exit 77
fi
first=$(taskset -pc $$ | sed 's/.*: //; s/[-,].*//')

# Both threads on the first PU: the others are spare. Unbound (os): nothing is spare.
"$qtopo" run -t unicast -q ring -w yield -p cpus:$first,os -n 20000 -r 1 -o a >a.out 2>a.err ||
  die "run exited $?"
check a --all-ok
python3 - a/results.jsonl <<'PY' || die "aux_shared as recorded"
import json, sys
rows = {r["placement"]: r for r in map(json.loads, open(sys.argv[1]))}
want = {"os": ["sampler", "watchdog"]}
for p, r in rows.items():
    exp = want.get(p, [])
    if r["aux_shared"] != exp:
        sys.exit(f"{p}: aux_shared {r['aux_shared']}, expected {exp}")
PY

# While a long rep of the spare case runs (paced: 20 s, a small model), the runner's other
# threads are the auxiliary ones and the deployment's: every thread not bound to the first PU
# must not be allowed on it.
"$qtopo" run -t unicast -q ring -w yield -p cpus:$first -n 2M --rate 100K -r 1 -o b >b.out 2>b.err &
pid=$!
# The cell runs in a child process (isolation; QTOPO_ISOLATE=0 would run it in qtopo itself).
seen=0 target=$pid
for _ in $(seq 600); do
  target=$(pgrep -P "$pid" | head -1)
  target=${target:-$pid}
  [ "$(ls /proc/$target/task 2>/dev/null | wc -l)" -ge 5 ] && { seen=1; break; }
  sleep 0.1
done
sleep 0.3
aux_ok=1 naux=0
for t in /proc/$target/task/*; do
  tid=${t##*/}
  [ "$tid" = "$target" ] && continue
  cpus=$(taskset -pc "$tid" 2>/dev/null | sed 's/.*: //')
  [ "$cpus" = "$first" ] && continue # a deployment thread, bound to the cell's PU
  naux=$((naux + 1))
  # An auxiliary thread: its allowed list must not include the first PU.
  python3 -c "import sys,os; sys.exit($first in os.sched_getaffinity($tid))" 2>/dev/null || aux_ok=0
done
kill -INT $pid; sleep 0.5; kill -INT $pid # two signals apart: the second halts the rep
for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && { kill -9 $pid; die "the long rep did not stop"; }
wait $pid
[ $seen = 1 ] || die "the deployment's threads never appeared"
[ $naux -ge 2 ] || die "found $naux auxiliary threads, expected the sampler and the watchdog"
[ $aux_ok = 1 ] || die "an auxiliary thread may run on the measured PU $first"
echo "ok: auxiliary threads off the measured PU, and recorded"
