#!/usr/bin/env bash
# Results written before the layers were restructured still load and report identically:
# tests/fixtures/old-results (made by its make.sh with the qtopo of that time) is read by this
# qtopo, which must write the same summary.csv, print the same run table, give the same compare
# outputs and exit status (its JSON may have gained keys, no other change), and write the same
# report data, scripts (the same lines) and page (only the page's "written at" time may differ,
# and the topology diagrams are new; the SVG and PNG are gnuplot's and are not compared).
# Usage: old_results.sh QTOPO FIXTURE_DIR
set -uo pipefail
qtopo=$(realpath "$1")
fixture=$(realpath "$2")
exp=$fixture/expected
tmp=$(mktemp -d /tmp/qtopo-old-results.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
same() { # what expected actual
  if ! diff -u "$2" "$3" >"$tmp/diff.txt"; then
    fail "$1 differs from $(basename "$2"):"
    head -40 "$tmp/diff.txt"
  fi
}

cp -r "$fixture/base" "$fixture/new" "$tmp/"
cd "$tmp"

# --resume finds nothing left to run: it rewrites summary.csv and prints the table. The machine is
# the fixture's (one node, two PUs), so the cells it skipped are skipped here too.
rm base/summary.csv
QTOPO_HWLOC_SYNTHETIC='pack:1 core:2 pu:1' "$qtopo" run --resume base >run.out 2>run.err ||
  fail "qtopo run --resume exited $? ($(tail -1 run.err))"
same "summary.csv" "$fixture/base/summary.csv" base/summary.csv
same "the run's table" "$exp/run-table.txt" run.out

for m in default all; do
  args=()
  [ $m = all ] && args=(--metric throughput,mean,p50,p90,p99,p999,p9999,max,alloc)
  rc=0
  "$qtopo" compare base new --json compare-$m.json --markdown compare-$m.md "${args[@]}" \
    >compare-$m.txt 2>compare-$m.err || rc=$?
  [ "$rc" = "$(cat "$exp/compare-$m.rc")" ] || fail "compare ($m) exited $rc, expected $(cat "$exp/compare-$m.rc")"
  for f in txt err md; do
    same "compare ($m) .$f" "$exp/compare-$m.$f" compare-$m.$f
  done
  # The JSON may have grown keys (a reader of the old keys sees the same values).
  python3 - "$exp/compare-$m.json" compare-$m.json <<'PY' || fail "compare ($m) .json lost or changed keys"
import json, sys
old, new = (json.load(open(p)) for p in sys.argv[1:3])
def within(a, b, path):
    if isinstance(a, dict):
        if not isinstance(b, dict):
            sys.exit(f"{path}: not an object any more")
        for k in a:
            if k not in b:
                sys.exit(f"{path}.{k}: missing")
            within(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            sys.exit(f"{path}: not the same list")
        for i, (x, y) in enumerate(zip(a, b)):
            within(x, y, f"{path}[{i}]")
    elif a != b:
        sys.exit(f"{path}: {a!r} became {b!r}")
within(old, new, "compare.json")
PY
done

if ! command -v gnuplot >/dev/null; then
  echo "gnuplot not found: the report was not compared (install gnuplot-nox)"
  [ $fails -eq 0 ] && exit 77
  exit 1
fi
"$qtopo" report base -o report -q || fail "qtopo report exited $?"
for f in "$exp"/report/*; do
  name=$(basename "$f")
  [ -f "report/$name" ] || { fail "report/$name is missing"; continue; }
  if [ "$name" = index.html ]; then
    sed 's/ at [0-9T:-]*Z\. Each chart/ at TIME. Each chart/' "$f" >expected-index.html
    # The page has since gained the topology diagrams (their section, its entry in the contents
    # and a line of the footer): everything else is the same.
    sed 's/ at [0-9T:-]*Z\. Each chart/ at TIME. Each chart/' report/index.html |
      sed '/^<h2 id="topologies">/,/^<h2 id="cells">/{/^<h2 id="cells">/!d}' |
      sed 's|<a href="#topologies">Topologies</a>||' |
      sed 's|; each topology diagram by Graphviz (<code>[^<]*</code>)||' >index.html
    grep -q '<h2 id="topologies">' report/index.html || fail "report/index.html has no topology diagrams"
    same "report/index.html" expected-index.html index.html
  elif [ "${name##*.}" = gp ]; then
    # A script's parameters (what it took from the results) are independent assignments: the
    # same lines, in any order. What follows them is this qtopo's common.gp and template, code
    # that may change; the charts it draws are checked by the report tests.
    sed '/^# common.gp - /,$d' "$f" | sort >expected.gp
    sed '/^# common.gp - /,$d' "report/$name" | sort >actual.gp
    same "report/$name (its lines)" expected.gp actual.gp
  else
    same "report/$name" "$f" "report/$name"
  fi
done
for f in report/*.dat report/*.gp; do
  [ -f "$exp/report/$(basename "$f")" ] || fail "$f is new (not in the fixture's report)"
done

[ $fails -eq 0 ] && echo "old results: summary, table, compare and report identical"
exit $((fails > 0))
