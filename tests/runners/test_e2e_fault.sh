#!/usr/bin/env bash
# A rep whose output disagrees with the sequential model (a corrupted field, test hook) is a
# failed rep with the model's reason and no numbers; other cells are unaffected.
source "$(dirname "$0")/test_e2e_lib.sh"

QTOPO_TEST_FAULT=2:100:diamond "$qtopo" run -t diamond,unicast -q ring,mutex-linked -w block \
  -p os -n 3000 -r 2 -o f >f.out 2>f.err
rc=$?
[ $rc -eq 1 ] || die "exit $rc, expected 1"
check f --complete --failed "model check failed"
python3 - <<'PY' || die "fault rows"
import json, sys
rows = [json.loads(l) for l in open("f/results.jsonl")]
dia = [r for r in rows if r["topology"] == "diamond"]
uni = [r for r in rows if r["topology"] == "unicast"]
if any(r["status"] != "failed" or r["verified"] for r in dia) or len(dia) != 4:
    sys.exit("diamond reps should all fail")
if any(r["status"] != "ok" for r in uni) or len(uni) != 4:
    sys.exit("unicast reps should all pass")
PY
grep -q "FAIL" f.out || die "summary table does not show the failure"
echo "ok: model failures recorded"
