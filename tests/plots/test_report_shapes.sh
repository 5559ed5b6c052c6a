#!/usr/bin/env bash
# Every chart on every shape of results it can meet, table-driven: each row below keeps a subset
# of the fixture's rows (one queue kind, the ring with one mutex kind, no ring, one wait, one
# topology, no latency, ...) and `qtopo report` must draw a report from it: exit 0, index.html
# written, every chart's script run without a gnuplot error. A chart that cannot be drawn for a
# shape is left out of the page, never a failed report.
# Usage: test_report_shapes.sh REPORT_DRIVER FIXTURE_DIR
set -u
driver=${1:?usage: $0 DRIVER FIXTURE}
fixture=${2:?usage: $0 DRIVER FIXTURE}
command -v gnuplot >/dev/null || { echo "SKIP: gnuplot is not installed"; exit 77; }
work=$(mktemp -d /tmp/qtopo-shapes.XXXXXX)
trap 'rm -rf "$work"' EXIT

# name | Python expression over a row r: True keeps it ("lat" rows have their latency removed)
table=$(cat <<'TABLE'
all|True
one queue kind (no mutex kinds)|r["queue"] == "ring"
ring and one mutex kind|r["queue"] in ("ring", "mutex-array")
no ring|r["queue"] != "ring"
one mutex kind only|r["queue"] == "mutex-array"
one wait|r["wait"] == "block"
one topology|r["topology"] == "unicast"
one placement|r["placement"] == "os"
one cell|r["cell"] == first_ok
no latency|lat
only failed and skipped rows|r["status"] != "ok"
TABLE
)

n=0
fails=0
while IFS='|' read -r name expr; do
  [ -n "$name" ] || continue
  n=$((n + 1))
  d="$work/shape$n"
  mkdir -p "$d"
  cp -r "$fixture/meta.json" "$fixture/hist" "$d/"
  python3 - "$fixture/results.jsonl" "$d/results.jsonl" "$expr" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
first_ok = next(r["cell"] for r in rows if r["status"] == "ok")
expr = sys.argv[3]
out = open(sys.argv[2], "w")
for r in rows:
    if expr == "lat":  # as --no-latency writes it: no timestamps, no histogram
        r["latency_ns"] = {k: 0 for k in r["latency_ns"]}
        r["hist"] = None
    elif not eval(expr, {"r": r, "first_ok": first_ok}):
        continue
    out.write(json.dumps(r) + "\n")
PY
  "$driver" "$d" -o "$d/report" >"$d/stdout" 2>"$d/stderr"
  rc=$?
  problem=""
  [ $rc -eq 0 ] || problem="exit $rc: $(head -c 400 "$d/stderr")"
  [ -z "$problem" ] && [ ! -s "$d/report/index.html" ] && problem="no index.html"
  [ -z "$problem" ] && grep -qi "error\|out of range" "$d/stderr" && problem="stderr: $(head -c 400 "$d/stderr")"
  if [ -n "$problem" ]; then
    echo "FAIL [$n] $name ($(grep -c '' "$d/results.jsonl") rows): $problem"
    fails=$((fails + 1))
  else
    echo "ok   [$n] $name ($(grep -c '' "$d/results.jsonl") rows): $(ls "$d/report"/*.svg 2>/dev/null | wc -l) charts"
  fi
done <<<"$table"
echo "$n shapes, $fails failed"
[ $fails -eq 0 ]
