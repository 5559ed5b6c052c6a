#!/usr/bin/env bash
# Inside a rep, end to end: a stage made to stall (test hook) is named as the bottleneck of its
# failed rep's series and the stall shows (a period with no progress); an ordinary run's page has
# the machine state's warnings, the counters per event, a series chart per topology with its
# bottleneck named, and the platform's grey line in the latency data. Exit 77 without gnuplot.
source "$(dirname "$0")/test_e2e_lib.sh"
command -v gnuplot >/dev/null || { echo "SKIP: no gnuplot"; exit 77; }

QTOPO_TEST_STALL=2:500:pipeline "$qtopo" run -t pipeline -q ring,mutex-array -w block -p os \
  -n 5000 -r 1 --timeout 1 --sample-ms 5 -o stall >stall.out 2>stall.err
[ $? -eq 1 ] || die "the stalled run should exit 1 (failed reps)"
python3 - <<'PY' || die "stalled series"
import csv, json, sys
for r in (json.loads(l) for l in open("stall/results.jsonl")):
    s = r["series"]
    if r["status"] != "failed" or s["bottleneck"] != "s2" or s["worst_interval_eps"] != 0:
        sys.exit(f"{r['cell']}: {r['status']}, series {s}")
    rows = list(csv.DictReader(open("stall/" + s["file"])))
    if len(rows) != s["samples"] or len(rows) < 10:
        sys.exit(f"{s['file']}: {len(rows)} rows, summary says {s['samples']}")
    if int(rows[-1]["depth_s2"]) == 0 or rows[-1]["done_s3"] != rows[-2]["done_s3"]:
        sys.exit(f"{s['file']}: the last samples show no stall: {rows[-2:]}")
PY

"$qtopo" run -t pipeline,unicast -q ring,mutex-array,mutex-linked -w block -p os -n 100000 -r 2 \
  -o ok >ok.out 2>ok.err || die "run failed"
"$qtopo" report ok -o page >page.out 2>page.err || die "report failed: $(tail -1 page.err)"
for want in 'id="state"' 'id="inside"' 'context_switches' 'series-1.svg' 'series-2.svg' \
  'bottleneck (the stage whose input was fullest on average beyond'; do
  grep -q "$want" page/index.html || die "index.html lacks $want"
done
grep -q 'platform (no queue)' page/latency.dat || die "no platform baseline in latency.dat"
echo ok
