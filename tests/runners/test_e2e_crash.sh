#!/usr/bin/env bash
# A rep that crashes (SIGSEGV, SIGABRT: test hook QTOPO_TEST_CRASH, raised mid-run) takes down only
# its cell's child process: it becomes a failed row with the signal and the rep's last progress,
# the reps after it are left for --resume, and the matrix goes on. QTOPO_ISOLATE=0 runs the same
# matrix in-process.
source "$(dirname "$0")/test_e2e_lib.sh"
# Sanitized builds: let the signals kill the process as they do in a release build.
export ASAN_OPTIONS="${ASAN_OPTIONS:-} handle_segv=0 handle_abort=0"
export TSAN_OPTIONS="${TSAN_OPTIONS:-} handle_segv=0 handle_abort=0"

# The stall hook keeps unicast's rep running past the first watchdog tick, where it crashes.
QTOPO_TEST_STALL=1:500:unicast QTOPO_TEST_CRASH=11:0:unicast "$qtopo" run -t unicast,pipeline \
  -q ring,mutex-array -w block -p os -n 3000 -r 2 --timeout 20 -o c >c.out 2>c.err
rc=$?
[ $rc -eq 1 ] || die "exit $rc, expected 1"
grep -q "crashed: SIGSEGV (signal 11) in rep 0" c.err || die "no crash note on stderr"
python3 - <<'PY' || die "crash rows"
import json, sys
rows = [json.loads(l) for l in open("c/results.jsonl")]
uni = [r for r in rows if r["topology"] == "unicast"]
pipe = [r for r in rows if r["topology"] == "pipeline"]
if len(uni) != 2 or any(r["rep"] != 0 or r["status"] != "failed" for r in uni):
    sys.exit(f"unicast: one failed row per queue, rep 0: {[(r['rep'], r['status']) for r in uni]}")
for r in uni:
    want = "crashed: SIGSEGV (signal 11) in rep 0; last progress: producer="
    if not r["reason"].startswith(want) or "c1=" not in r["reason"]:
        sys.exit(f"reason {r['reason']!r}")
if len(pipe) != 4 or any(r["status"] != "ok" for r in pipe):
    sys.exit("pipeline's reps should all pass")
PY
# The crashed cells' missing rep runs on --resume (without the hooks: ok).
"$qtopo" run --resume c >r.out 2>r.err
[ $? -eq 0 ] || die "resume: expected 0 (the reps it ran pass)"
[ "$(rows c)" -eq 8 ] || die "resume: $(rows c) rows, expected 8"

QTOPO_TEST_STALL=1:500:diamond QTOPO_TEST_CRASH=6:0 "$qtopo" run -t diamond -q ring -w block \
  -p os -n 3000 -r 1 --timeout 20 -o a >a.out 2>a.err
[ $? -eq 1 ] || die "abort: expected exit 1"
grep -q '"crashed: SIGABRT (signal 6) in rep 0; last progress: producer=' a/results.jsonl ||
  die "abort: $(cat a/results.jsonl)"

QTOPO_ISOLATE=0 "$qtopo" run -t unicast -q ring -w block -p os -n 2000 -r 2 -o n >n.out 2>n.err
[ $? -eq 0 ] || die "in-process run failed"
check n --complete
echo "ok: crashes are failed rows, the matrix goes on"
