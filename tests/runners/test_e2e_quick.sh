#!/usr/bin/env bash
# qtopo run --quick on tiny parameters: every cell that runs is verified against the model, and
# meta.json, results.jsonl, summary.csv and hist/*.hgrm are there with the fields of the results
# format (README.md); skipped cells carry their reasons; the report shows the batching figures.
source "$(dirname "$0")/test_e2e_lib.sh"

expr='seq(stage, shard(stage, 2))'
"$qtopo" run --quick -t "unicast,diamond,shard,pingpong,seq(stage,shard( stage ,2 ))" -q all -w all -p os,compact,smt \
  -n 2000 -r 2 --warmup 200 --timeout 60 -o q >q.out 2>q.err
rc=$?
[ $rc -eq 0 ] || die "qtopo run exited $rc"
grep -q "results: q" q.out || die "no 'results:' line on stdout"
grep -q "^topology .*events/s" q.out || die "no summary table on stdout"
grep -q "^\[1/" q.err || die "no progress lines on stderr"

# At least one cell is skipped on almost every machine (smt without SMT, spin diamond on < 4
# PUs); each skipped cell must say why.
min=$(python3 - <<'PY'
import json
m = json.load(open("q/meta.json"))
print(1 if any(c["skipped"] for c in m["cells"]) else 0)
PY
)
check q --all-ok --complete --min-skipped "$min"
[ "$(ls q/hist/*.hgrm | wc -l)" -ge 1 ] || die "no histogram files"
# The expression's cells: its canonical form is their topology, the expression they ran is in
# meta.json and every row, and their ids are short file names.
EXPR="$expr" python3 - <<'PY' || die "the expression's cells are not recorded as such"
import json, os, re, sys
expr = os.environ["EXPR"]
rows = [json.loads(l) for l in open("q/results.jsonl")]
cells = json.load(open("q/meta.json"))["cells"]
mine = [r for r in rows if r["topology"] == expr]
named = [r for r in rows if r["topology"] == "unicast"]
ok = (mine and all(r["topology_expr"] == expr and re.fullmatch(r"seq-[0-9a-f]{12}\..*", r["cell"])
                   for r in mine)
      and all(r["topology_expr"] == "stage(name=c1)" for r in named)
      and any(c["topology"] == expr and c["topology_expr"] == expr for c in cells))
sys.exit(0 if ok else 1)
PY
echo "ok: quick run verified"

# The report's cell table has the batching figures of every stage (median mean batch size).
# (Only where allocation was counted: the allocation chart fails on a run without the counts.)
counted=$(python3 -c 'import json; print(int(bool(json.load(open("q/meta.json")).get("alloc_counting"))))')
if command -v gnuplot >/dev/null && [ "$counted" = 1 ]; then
  "$qtopo" report q -q >r.out 2>r.err || die "qtopo report exited $?"
  grep -q '>mean batch</th>' q/report/index.html || die "no mean batch column in the report"
  grep -q '<td>c1 [0-9]' q/report/index.html || die "no stage's mean batch in the report"
  echo "ok: batching figures in the report"
fi

# A paced cell's hiccup baseline lasts as long as one rep's window (events / rate, up to 2 s), not
# 50 ms: at 100K/s a 20000-event window is 0.2 s, 20000 ticks of 10 us per pacing thread, where
# 50 ms would give 5000 per thread (at most 10000 for the two PUs this test may have).
"$qtopo" run -t unicast -q ring -w yield -p os --rate 100K -n 20000 -r 1 -o paced \
  >paced.out 2>paced.err || die "paced run exited $?"
hiccup=$(python3 -c 'import json; print(json.loads(open("paced/results.jsonl").readline())["hiccup"])')
total=$(sed -n 's/.*Total count *= *\([0-9]*\)\].*/\1/p' "paced/$hiccup")
[ -n "$total" ] && [ "$total" -ge 15000 ] ||
  die "paced hiccup baseline has ${total:-no} samples, want >= 15000 (a 0.2 s window at 10 us)"
echo "ok: a paced cell's hiccup baseline spans its window ($total samples)"
