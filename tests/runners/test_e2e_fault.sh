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

# Wiring that leaves the outputs as the model's (fan-out branches chained; shard copies owning
# each other's residues, test hooks) fails every rep of its cell before it runs, naming the first
# difference; other cells are unaffected.
QTOPO_TEST_MISWIRE=1:0:diamond "$qtopo" run -t diamond,unicast -q ring,mutex-array -w block \
  -p os -n 2000 -r 2 -o w >w.out 2>w.err
rc=$?
[ $rc -eq 1 ] || die "miswired: exit $rc, expected 1"
QTOPO_TEST_MISWIRE=2:0:shard "$qtopo" run -t shard,pipeline -q ring -w block -p os -n 2000 -r 1 \
  -o s >s.out 2>s.err
rc=$?
[ $rc -eq 1 ] || die "wrong residues: exit $rc, expected 1"
python3 - <<'PY' || die "wiring rows"
import json, sys
for d, bad, ring, edge in [("w", "diamond", "c2 waits on c1; the topology says the producer",
                            "c1 pushes to c2, c3; the topology says c3"),
                           ("s", "shard", "handles positions 1 mod 2; the topology says 0 mod 2",
                            None)]:
    rows = [json.loads(l) for l in open(d + "/results.jsonl")]
    for r in rows:
        if r["topology"] != bad:
            if r["status"] != "ok":
                sys.exit(f"{d}: {r['cell']} should pass: {r['reason']}")
            continue
        want = ring if r["queue"] == "ring" else edge
        if r["status"] != "failed" or "wiring differs from the topology: " not in r["reason"] \
                or want not in r["reason"]:
            sys.exit(f"{d}: {r['cell']}: {r['status']} {r['reason']!r}, want {want!r}")
PY
echo "ok: wiring differences recorded"
