#!/usr/bin/env bash
# SIGINT: the rep in flight finishes, what is done is written, exit 130, and the message says
# how to resume; the resume then completes the matrix without repeating a rep. SIGTERM too.
source "$(dirname "$0")/test_e2e_lib.sh"

for sig in INT TERM; do
  d=s$sig
  "$qtopo" run -t unicast,pipeline,fanout,diamond -q all -w yield,block -p os -n 20000 -r 3 \
    -o $d >$d.out 2>$d.err &
  pid=$!
  wait_lines $d/results.jsonl 1 120 || { kill -9 $pid; die "no row within 120 s"; }
  kill -$sig $pid
  # Bounded wait: a rep takes well under a second here; 60 s means it did not stop.
  for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then kill -9 $pid; die "SIG$sig: still running after 60 s"; fi
  wait $pid
  rc=$?
  [ $rc -eq 130 ] || die "SIG$sig: exit $rc, expected 130"
  grep -q -- "--resume $d" $d.err || die "SIG$sig: no resume hint on stderr"
  check $d  # well-formed as far as it got
  "$qtopo" run --resume $d >$d.r.out 2>$d.r.err || die "SIG$sig: resume exited $?"
  check $d --all-ok --complete
  echo "ok: SIG$sig -> 130, resumed"
done

# A signal while a cell's model is computed (once, before its first rep; this one takes many
# seconds): it stops there, no rep is started, nothing is written for the cell, exit 130.
d=smodel
"$qtopo" run -t unicast -q ring -w yield -p os -n 3000M -r 2 -o $d >$d.out 2>$d.err &
pid=$!
for _ in $(seq 600); do [ -s $d/meta.json ] && break; sleep 0.1; done
sleep 1
kill -INT $pid
for _ in $(seq 1200); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then kill -9 $pid; die "SIGINT in the model: still running after 120 s"; fi
wait $pid
rc=$?
[ $rc -eq 130 ] || die "SIGINT in the model: exit $rc, expected 130"
[ ! -s $d/results.jsonl ] || die "SIGINT in the model: a rep ran: $(head -c 300 $d/results.jsonl)"
echo "ok: SIGINT while the model is computed -> 130, no rep"
