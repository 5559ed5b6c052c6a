#!/usr/bin/env bash
# scripts/reproduce and the report's "published vs measured" section, end to end.
# Usage: reproduce.sh MODE REPRODUCE QTOPO [EXPERIMENT]
#   bad-input  bad command lines: exit 2, one line on stderr, nothing written
#   figures    every published figure of every experiment file, against the sources' numbers
#              (written out again here, independently: a typo in a published figure is a defect)
#   damaged    `qtopo report` refuses a damaged experiment.json: exit 2, naming the file
#   smoke      EXPERIMENT at size tiny: its report has the section, a verdict per row and the chart
set -u
mode=${1:?usage: $0 MODE REPRODUCE QTOPO [EXPERIMENT]}
reproduce=$(cd "$(dirname "${2:?}")" && pwd)/$(basename "$2")
qtopo=$(cd "$(dirname "${3:?}")" && pwd)/$(basename "$3")
experiment=${4:-}
expdir=$(dirname "$reproduce")/../runners/experiments
export QTOPO=$qtopo
work=$(mktemp -d /tmp/qtopo-reproduce-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; }

case $mode in
bad-input)
  mkdir existing
  : >stdout
  snapshot() { find . -path ./stderr -prune -o -path ./stdout -prune -o -print | sort; }
  before=$(snapshot)
  # expected phrase | arguments (shell words)
  while IFS='|' read -r phrase args; do
    [ -n "$phrase" ] || continue
    eval "set -- $args"
    "$reproduce" --no-setup "$@" >stdout 2>stderr
    rc=$?
    [ $rc -eq 2 ] || bad "[$args] exit $rc, expected 2"
    [ "$(wc -l <stderr)" -eq 1 ] || bad "[$args] stderr is not one line: $(cat stderr)"
    grep -qF -- "$phrase" stderr || bad "[$args] stderr lacks '$phrase': $(cat stderr)"
    [ "$(snapshot)" = "$before" ] || bad "[$args] wrote something"
  done <<'TABLE'
which experiment? (accepted: disruptor-latency, disruptor-throughput, lock-costs, seed-copying, seed-sleep|
unknown experiment 'disruptor'|disruptor
unknown experiment '../etc/passwd'|../etc/passwd
unknown experiment '.hidden'|.hidden
unknown size 'huge' (accepted: tiny, default)|disruptor-throughput --size huge
--size needs a value|disruptor-throughput --size
-o needs a directory|disruptor-throughput -o ''
output directory existing already exists|disruptor-throughput -o existing
one experiment at a time|seed-copying disruptor-latency
unknown option '--bogus'|--bogus seed-copying
TABLE
  ;;
figures)
  # experiment | jq path | the source's figures, in order
  while IFS='|' read -r name path want; do
    [ -n "$name" ] || continue
    got=$(jq -c "$path" "$expdir/$name.json") || { bad "$name: cannot read $path"; continue; }
    [ "$got" = "$want" ] || bad "$name $path: $got, the source says $want"
  done <<'TABLE'
disruptor-throughput|[.rows[].den.published[0]]|[5339256,2128918,5539531,1077384,2113941]
disruptor-throughput|[.rows[].num.published[0]]|[25998336,16806157,13403268,9377871,16143613]
disruptor-throughput|[.rows[].den.published[1]]|[20900000,5200000,18800000,2360000,3430000]
disruptor-throughput|[.rows[].den.published[2]]|[20900000,5200000,18800000,2360000,3430000]
disruptor-throughput|[.rows[].num.published[1]]|[134600000,76100000,16000000,68200000,61200000]
disruptor-throughput|[.rows[].num.published[2]]|[160400000,101300000,29700000,70000000,63100000]
disruptor-throughput|[.rows[].label]|["Unicast 1P-1C","Pipeline 1P-3C","Sequencer 3P-1C","Multicast 1P-3C","Diamond 1P-3C"]
disruptor-latency|[.rows[].num.published[0]]|[32757,2097152,4194304,5069086]
disruptor-latency|[.rows[].den.published[0]]|[52,128,8192,175567]
disruptor-latency|[.rows[].metric]|["mean","p99","p9999","max"]
seed-copying|[.rows[].num.published[0]]|[46.1,35550000000,5.03,6630000000,null]
seed-copying|[.rows[].den.published[0]]|[8.37,11460000000,8.37,11460000000,5.03]
lock-costs|[.rows[].num.published[0]]|[10000,224000,5700,30000,4700]
lock-costs|[.rows[].den.published[0]]|[300,300,300,300,300]
seed-sleep|[.rows[].num.published[0]]|[1.76,1.26,2.01,1.37]
seed-sleep|[.rows[].den.published[0]]|[5.02,5.02,5.02,5.02]
TABLE
  grep -q 'minima (ArrayBlockingQueue 145 ns, Disruptor 29 ns)' "$expdir/disruptor-latency.json" ||
    bad "disruptor-latency: the paper's minima (145 ns, 29 ns) are not stated"
  ;;
damaged)
  "$qtopo" run -t unicast -q ring -w yield -p os -n 2000 -r 1 -o res >/dev/null 2>&1 ||
    { echo "qtopo run failed"; exit 1; }
  # what is wrong | experiment.json
  while IFS='|' read -r phrase text; do
    [ -n "$phrase" ] || continue
    printf '%s\n' "$text" >res/experiment.json
    rm -rf res/report
    "$qtopo" report res >stdout 2>stderr
    rc=$?
    [ $rc -eq 2 ] || bad "[$phrase] report exit $rc, expected 2: $(cat stderr)"
    grep -qF -- "experiment.json" stderr && grep -qF -- "$phrase" stderr ||
      bad "[$phrase] stderr does not name it: $(cat stderr)"
    [ ! -e res/report ] || bad "[$phrase] a report was written"
  done <<'TABLE'
'[' or '{' expected|not json
needs "name" and "source" strings|{"name": 3}
"machines" must list 1 to 4 machines|{"name":"x","source":"s","machines":[],"rows":[1],"within":2}
"within" must be a factor >= 1|{"name":"x","source":"s","machines":["m"],"rows":[{}],"within":0.5}
row 1 needs a "label" and a "metric"|{"name":"x","source":"s","machines":["m"],"within":2,"rows":[{"label":"a","metric":"speed"}]}
unknown cell key "colour"|{"name":"x","source":"s","machines":["m"],"within":2,"rows":[{"label":"a","metric":"throughput","num":{"name":"n","published":[1],"cell":{"colour":"red"}},"den":{"name":"d","published":[1],"seconds":1}}]}
one per machine|{"name":"x","source":"s","machines":["m","n"],"within":2,"rows":[{"label":"a","metric":"throughput","num":{"name":"n","published":[1],"cell":{}},"den":{"name":"d","published":[1],"seconds":1}}]}
is not a positive number or null|{"name":"x","source":"s","machines":["m"],"within":2,"rows":[{"label":"a","metric":"throughput","num":{"name":"n","published":[-5],"cell":{}},"den":{"name":"d","published":[1],"seconds":1}}]}
TABLE
  ;;
smoke)
  [ -n "$experiment" ] || { echo "smoke needs an experiment"; exit 1; }
  "$reproduce" "$experiment" --size tiny --no-setup -o out >log 2>&1
  rc=$?
  [ $rc -eq 0 ] || { bad "reproduce exit $rc"; tail -20 log; }
  page=out/report/index.html
  [ -f "$page" ] || { echo "FAIL: no report"; exit 1; }
  grep -q 'id="published"' "$page" || bad "no published section"
  rows=$(jq '.rows | length' "$expdir/$experiment.json")
  verdicts=$(grep -oE '<td class="(ok|bad|muted)">(reproduced|not reproduced|measured|not measured)' "$page" | wc -l)
  [ "$verdicts" -eq "$rows" ] || bad "$verdicts verdicts for $rows rows"
  # A row may be unmeasured only for allocation bytes in a build that cannot count them (the
  # sanitizers replace malloc): the verdict then says so.
  counted=$(jq -r '.alloc_counting // false' out/meta.json)
  if grep -q '<td class="muted">not measured' "$page" &&
    { [ "$counted" = true ] || ! jq -e '[.rows[].metric] | index("bytes")' "$expdir/$experiment.json" >/dev/null; }; then
    bad "a row was not measured"
  fi
  [ -s out/report/published.svg ] || bad "no published.svg"
  xmllint --noout out/report/published.svg 2>/dev/null || bad "published.svg is not well-formed"
  cmp -s out/experiment.json "$expdir/$experiment.json" || bad "experiment.json not kept"
  ;;
*) echo "unknown mode $mode"; exit 1 ;;
esac
[ $fail -eq 0 ] && echo "ok: $mode $experiment"
exit $fail
