#!/usr/bin/env bash
# What a skeptical user tries on a results directory: two runs on one directory (the second is
# refused naming the holder), a run whose stdout is closed (it finishes anyway), and two runs
# started in the same second without -o (two directories).
source "$(dirname "$0")/test_e2e_lib.sh"
B=(-t unicast -q ring -w block -p os -r 1)

# ---- one run per results directory: a resume while the run is going is refused
"$qtopo" run -t unicast,pipeline,fanout -q ring,mutex-array -w block -p os -n 200000 -r 3 -o k \
  >k.out 2>k.err &
pid=$!
wait_lines k/results.jsonl 1 120 || { kill -9 $pid; die "no row within 120 s"; }
"$qtopo" run --resume k >r.out 2>r.err
rc=$?
kill -TERM $pid
wait $pid
[ $rc -eq 2 ] || die "a resume of a directory in use exited $rc, expected 2"
grep -q "in use by another qtopo run (pid $pid)" r.err || die "the refusal does not name pid $pid: $(cat r.err)"
[ "$(grep -c '' r.err)" -eq 1 ] || die "the refusal is not one line"
echo "ok: a resume during the run is refused naming pid $pid"

# ---- two resumes at once: one runs, the other is refused; no rep is written twice
before=$(rows k)
"$qtopo" run --resume k >r1.out 2>r1.err &
p1=$!
"$qtopo" run --resume k >r2.out 2>r2.err &
p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
echo "two resumes: exit $rc1 and $rc2 (from $before rows)"
{ [ $rc1 -eq 0 ] && [ $rc2 -eq 2 ]; } || { [ $rc1 -eq 2 ] && [ $rc2 -eq 0 ]; } ||
  { [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]; } || die "two resumes exited $rc1 and $rc2"
python3 - <<'PY' || die "a (cell, rep) written twice"
import json, collections
n = collections.Counter((r["cell"], r["rep"]) for r in map(json.loads, open("k/results.jsonl")))
dup = [k for k, c in n.items() if c > 1]
assert not dup, dup
PY
check k --all-ok --complete
echo "ok: two resumes at once wrote each rep once"

# ---- a closed stdout does not stop the run: it finishes, with the run's status
"$qtopo" run -t unicast,pipeline -q ring -w block,yield -p os -n 2000 -r 2 -o p 2>p.err | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
[ $rc -eq 0 ] || die "qtopo run | head exited $rc"
check p --all-ok --complete
echo "ok: qtopo run | head -c 1 finished the matrix"

# ---- two runs in the same second without -o: two directories
mkdir same && cd same || die "mkdir"
"$qtopo" run "${B[@]}" -n 1000 >a.out 2>a.err &
a=$!
"$qtopo" run "${B[@]}" -n 1000 >b.out 2>b.err &
b=$!
wait $a || die "first default-named run exited $?"
wait $b || die "second default-named run exited $?"
[ "$(ls results/runs | wc -l)" -eq 2 ] || die "two runs made $(ls results/runs | wc -l) directories"
cd ..
echo "ok: two runs started together made two directories"

# ---- SIGINT/SIGTERM during qtopo report: exit 130, no report, no temporary directory left
if command -v gnuplot >/dev/null; then
  cp -r "$here/../fixtures/results-small" fix
  for sig in INT TERM; do
    for delay in 0.05 0.3 0.8; do
      "$qtopo" report fix -o rpt >rp.out 2>rp.err &
      p=$!
      sleep $delay
      kill -$sig $p
      wait $p
      rc=$?
      leftover=$(ls -A | grep -c '^\.rpt\.tmp')
      [ "$leftover" -eq 0 ] || die "SIG$sig after ${delay}s left a temporary directory"
      if [ $rc -eq 0 ]; then rm -rf rpt; continue; fi # it finished first
      [ $rc -eq 130 ] || die "report after SIG$sig exited $rc: $(cat rp.err)"
      [ ! -e rpt ] || die "an interrupted report left rpt"
    done
  done
  echo "ok: an interrupted report leaves nothing behind"
fi

# ---- a signal during the model check (before the reps; minutes for a huge count) stops it
start=$(date +%s.%N)
"$qtopo" run "${B[@]}" -n 5G -o mdl >m.out 2>m.err &
p=$!
wait_lines mdl/meta.json 1 60 || { kill -9 $p; die "no meta.json within 60 s"; }
sleep 0.5
kill -INT $p
for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
if kill -0 $p 2>/dev/null; then kill -9 $p; die "SIGINT during the model check: still running 10 s later"; fi
wait $p
rc=$?
[ $rc -eq 130 ] || die "SIGINT during the model check exited $rc, expected 130"
[ "$(rows mdl)" -eq 0 ] || die "an interrupted model check wrote rows"
echo "ok: SIGINT during the model check stopped it (exit 130)"

# ---- two signals at once (GNU timeout sends one to qtopo and one to its group) count as one:
# the rep in flight finishes verified instead of being halted. Paced, so the rep lasts ~8 s
# however fast the build is (saturated, 20M events took 1 s on a quiet machine: done before the
# signals).
"$qtopo" run "${B[@]}" -n 8M --rate 1M -o two >t.out 2>t.err &
p=$!
wait_lines two/meta.json 1 60 || { kill -9 $p; die "no meta.json within 60 s"; }
sleep 2
kill -INT $p
kill -INT $p
wait $p
rc=$?
[ $rc -eq 130 ] || die "two signals at once exited $rc, expected 130"
if [ "$(rows two)" -eq 0 ]; then
  echo "note: the signals landed before the rep (the model check): nothing to check"
else
  grep -q '"status":"ok"' two/results.jsonl || die "two signals at once halted the rep: $(grep -o '"reason":"[^"]*"' two/results.jsonl)"
  echo "ok: two signals at once let the rep in flight finish"
fi
