#!/usr/bin/env bash
# The watchdog: a stage made to stall (test hook) stops making progress; after --timeout the
# rep is halted and recorded failed with the sequences / queue depths of that moment, and the
# matrix goes on (the unicast cells after it run and verify).
source "$(dirname "$0")/test_e2e_lib.sh"

start=$(date +%s)
QTOPO_TEST_STALL=2:500:pipeline "$qtopo" run -t pipeline,unicast -q ring,mutex-array -w block,yield \
  -p os -n 5000 -r 1 --timeout 1 -o w >w.out 2>w.err
rc=$?
took=$(($(date +%s) - start))
[ $rc -eq 1 ] || die "exit $rc, expected 1 (failed reps)"
[ $took -lt 60 ] || die "took $took s: the watchdog did not stop the stalled reps"
check w --complete --failed "watchdog: no progress for"
python3 - <<'PY' || die "watchdog rows"
import json, sys
rows = [json.loads(l) for l in open("w/results.jsonl")]
bad = [r for r in rows if r["topology"] == "pipeline" and r["status"] != "failed"]
ok = [r for r in rows if r["topology"] == "unicast" and r["status"] == "ok"]
text = [r for r in rows if r["topology"] == "pipeline" and "s2=" not in r["reason"]]
if bad or len(ok) != 3 or text:
    print("pipeline not failed:", len(bad), "unicast ok:", len(ok), "reasons without s2=:", len(text))
    sys.exit(1)
PY
grep -q "FAILED" w.err || die "no FAILED line in the progress output"
echo "ok: watchdog fired in $took s"
