#!/usr/bin/env bash
# kill -9 mid-matrix loses at most the cell in flight; `qtopo run --resume DIR` (no other
# options) reads the matrix back and runs what is missing, repeating no rep.
source "$(dirname "$0")/test_e2e_lib.sh"

"$qtopo" run -t unicast,pipeline,fanout,diamond,sequencer -q all -w yield,block -p os \
  -n 20000 -r 3 -o k >k.out 2>k.err &
pid=$!
wait_lines k/results.jsonl 1 120 || { kill -9 $pid; die "no row within 120 s"; }
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
before=$(rows k)
echo "killed with $before rows written"

# Rows are appended per cell: whatever is there is whole cells.
python3 - <<'PY' || die "a half cell after kill -9"
import json, collections
m = json.load(open("k/meta.json"))
reps = {c["cell"]: (1 if c["skipped"] else c["reps"]) for c in m["cells"]}
n = collections.Counter(json.loads(l)["cell"] for l in open("k/results.jsonl"))
half = [c for c, k in n.items() if k != reps[c]]
assert not half, half
PY

"$qtopo" run --resume k >r.out 2>r.err
rc=$?
[ $rc -eq 0 ] || die "resume exited $rc"
after=$(rows k)
[ "$after" -ge "$before" ] || die "rows went from $before to $after"
check k --all-ok --complete
grep -c '"time"' k/meta.json >/dev/null || die "meta.json does not record the resume"
python3 -c 'import json,sys; m=json.load(open("k/meta.json")); sys.exit(len(m["resumes"]) != 1)' ||
  die "meta.json resumes"

# A second resume has nothing left to do.
"$qtopo" run --resume k >r2.out 2>r2.err || die "second resume exited $?"
[ "$(rows k)" -eq "$after" ] || die "second resume added rows"
echo "ok: resumed from $before to $after rows"
