#!/usr/bin/env bash
# test_merge.sh QTOPO - slices and merges without a scheduler: `qtopo run --slice K/N` and
# --slice-plan, `qtopo merge` of the slices of one machine (every cell once, in the whole
# matrix's order, every rep verified; missing slices named) and of two machines (a second one
# made with QTOPO_HWLOC_SYNTHETIC: another fingerprint), the report's machine axis, `qtopo
# compare --machine`, and the bad input of each (exit 2, one line, nothing written).
set -u
qtopo=${1:?usage: $0 QTOPO}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check=$here/check_merged.py
w=$(mktemp -d "${TMPDIR:-/tmp}/qtopo-merge.XXXXXX")
trap 'rm -rf "$w"' EXIT
cd "$w" || exit 1
fails=0
expect() { # description expected actual
  if [ "$2" = "$3" ]; then
    echo "ok   $1"
  else
    printf 'FAIL %s\n  expected: %s\n  got:      %s\n' "$1" "${2//$'\n'/ | }" "${3//$'\n'/ | }"
    fails=$((fails + 1))
  fi
}
listing() { find . | sort; }
# bad_input WHAT PHRASE CMD...: exit 2, one line on stderr with PHRASE, no stdout, nothing written.
bad_input() {
  local what=$1 phrase=$2 before rc
  shift 2
  before=$(listing)
  "$@" >out.txt 2>err.txt
  rc=$?
  expect "$what: exit 2, one line naming it, nothing written" "2 1 yes 0 same" \
    "$rc $(grep -c '' err.txt) $(grep -qF -- "$phrase" err.txt && echo yes || cat err.txt) \
$(grep -c '' out.txt) $([ "$(rm -f out.txt err.txt; listing)" = "$before" ] && echo same || echo changed)"
}
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# A small matrix: 2 topologies x (ring yield/block, two mutex kinds) x os (and smt, a skipped
# cell where cores have one PU), 4 reps (so that compare can test).
# shellcheck disable=SC2054 # the commas are qtopo's lists
M=(-t unicast,pipeline -q ring,mutex-array,mutex-linked -w yield,block -p os,smt -n 5K -r 4)

# ---- --slice and --slice-plan: bad input
for s in 0/4 5/4 a/b 1/0 /2 3 1/1001; do
  bad_input "--slice $s" "--slice '$s'" "$qtopo" run "${M[@]}" --slice "$s" -o s
done
bad_input "--slice-plan 0" "--slice-plan '0'" "$qtopo" run "${M[@]}" --slice-plan 0
bad_input "--slice with --slice-plan" "one or the other" "$qtopo" run "${M[@]}" --slice 1/2 --slice-plan 2

# ---- the plan: one line per slice, nothing written
before=$(listing)
"$qtopo" run "${M[@]}" --slice-plan 3 >plan.txt 2>&1
expect "--slice-plan 3: exit 0, three slices and the total, nothing written" "0 3 1 same" \
  "$? $(grep -cE '^[123]/3 ' plan.txt) $(grep -c '^all ' plan.txt) $([ "$(rm plan.txt; listing)" = "$before" ] && echo same || echo changed)"

# ---- the whole matrix and its three slices, on this machine
"$qtopo" run "${M[@]}" -o whole >/dev/null 2>&1 || { echo "FAIL: the whole run"; exit 1; }
for k in 1 2 3; do
  "$qtopo" run "${M[@]}" --slice "$k/3" -o "s$k" >/dev/null 2>&1 || { echo "FAIL: slice $k/3"; exit 1; }
done
expect "each slice says which it is, of one matrix" "1 3 2 3 3 3 same" \
  "$(for k in 1 2 3; do json "s$k/meta.json" "d['slice']['k'], d['slice']['n']"; done | tr -d '(),' | xargs) \
$([ "$(for k in 1 2 3; do json "s$k/meta.json" "d['slice']['matrix_hash']"; done | sort -u | wc -l)" = 1 ] && echo same)"
expect "the slices' cells are the whole's, each once" \
  "$(json whole/meta.json "' '.join(sorted(c['cell'] for c in d['cells']))")" \
  "$(for k in 1 2 3; do json "s$k/meta.json" "'\n'.join(c['cell'] for c in d['cells'])"; done | sort | xargs)"
"$qtopo" merge all s3 s1 s2 >merge.txt 2>&1
expect "merge of the three: exit 0" "0" "$?"
expect "every cell once, in the whole matrix's order, every rep verified, none missing" \
  "cells=$(json whole/meta.json "len(d['cells'])") ok_reps=$(json whole/meta.json "sum(c['reps'] for c in d['cells'] if not c['skipped'])") skipped=$(json whole/meta.json "sum(c['skipped'] for c in d['cells'])") missing=none" \
  "$(python3 "$check" all --cells-of whole)"
expect "its meta.json: one machine, slices 3, from the three" "3 3 False" \
  "$(json all/meta.json "d['merged']['slices'], len(d['merged']['from']), 'slice' in d" | tr -d '(),')"
"$qtopo" merge part s1 s3 >/dev/null 2>&1
expect "merge of two of three: slice 2 named missing" "missing=2/3" \
  "$(python3 "$check" part | grep -o 'missing=.*')"
printf 'default\t2/3\tstopped at its time limit (1 min)\tlog/default.2.7.log\n' >why.tsv
"$qtopo" merge --missing why.tsv partwhy s1 s3 >/dev/null 2>&1
expect "--missing keeps the scheduler's reason" "stopped at its time limit (1 min)" \
  "$(json partwhy/meta.json "d['merged']['reported_missing'][0]['reason']")"
rm why.tsv
if command -v gnuplot >/dev/null; then
  "$qtopo" report partwhy >/dev/null 2>&1
  expect "its report names the missing slice and why, both the merge's and the scheduler's" "2" \
    "$(grep -c '<tr><th>Missing</th><td>slice 2/3.*\(not among the merged\|stopped at its time limit\)' partwhy/report/index.html)"
fi

# ---- an unfinished slice (a task stopped at its time limit): named, and finished by --resume
cp -r s3 s3cut
head -n 3 s3/results.jsonl >s3cut/results.jsonl
"$qtopo" merge cut s1 s2 s3cut >/dev/null 2>&1
expect "merge of an unfinished slice: named, with what it lacks" "given unfinished" \
  "$(json cut/meta.json "d['merged']['missing'][0]['slice'] + ' ' + d['merged']['missing'][0]['reason']" | grep -o '3/3 given unfinished' | cut -d' ' -f2-3)"
"$qtopo" run --resume s3cut >/dev/null 2>&1
expect "--resume of a slice runs that slice's missing reps" "3 3" \
  "$(json s3cut/meta.json "d['slice']['k'], d['slice']['n']" | tr -d '(),')"
"$qtopo" merge resumed s1 s2 s3cut >/dev/null 2>&1
expect "then the merge is whole" "missing=none" "$(python3 "$check" resumed --cells-of whole | grep -o 'missing=.*')"
bad_input "--resume with --slice" "takes no other options" "$qtopo" run --resume s3cut --slice 1/3
rm -rf s3cut cut resumed

# ---- merge: bad input
mkdir notresults
cp -r s2 otherbuild
python3 - otherbuild/meta.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["build"]["git_commit"] = "another"; json.dump(m, open(sys.argv[1], "w"))
PY
"$qtopo" run -t unicast -q ring -w yield -p os -n 5K -r 2 --slice 1/2 -o othermatrix >/dev/null 2>&1
"$qtopo" run "${M[@]}" --slice 1/2 -o halves >/dev/null 2>&1
bad_input "merge with nothing" "no OUT and no directories" "$qtopo" merge
bad_input "merge with no directories" "no directories to merge" "$qtopo" merge out
bad_input "merge of a directory that is not results" "notresults: not a results directory" "$qtopo" merge out s1 notresults
bad_input "merge of a directory that does not exist" "nosuch: no such directory" "$qtopo" merge out s1 nosuch
bad_input "merge of slices of different matrices" "othermatrix: another matrix than s1's" "$qtopo" merge out s1 othermatrix
bad_input "merge of different builds" "otherbuild: made by another build" "$qtopo" merge out s1 otherbuild
bad_input "merge of one slice twice" "both slice 1/3" "$qtopo" merge out s1 s1
cp -r s2 s2again # slice 2's cells under the name of slice 3
python3 - s2again/meta.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["slice"]["k"] = 3; json.dump(m, open(sys.argv[1], "w"))
PY
bad_input "merge of overlapping cells" "both hold cell" "$qtopo" merge out s1 s2 s2again
bad_input "merge of a whole run and a slice" "another number of slices" "$qtopo" merge out whole s2
bad_input "merge of slices cut differently" "another number of slices" "$qtopo" merge out s1 halves
bad_input "merge into an existing directory" "all: exists" "$qtopo" merge all s1
bad_input "merge with an unknown option" "unknown option '--nope'" "$qtopo" merge --nope out s1
rm -rf notresults otherbuild othermatrix halves s2again

# ---- two machines: this one and a synthetic 4-PU one (another fingerprint, same host)
for k in 1 2; do
  QTOPO_HWLOC_SYNTHETIC="pack:1 core:4 pu:1" "$qtopo" run "${M[@]}" --slice "$k/2" -o "b$k" >/dev/null 2>&1 ||
    { echo "FAIL: synthetic slice $k/2"; exit 1; }
done
"$qtopo" merge fleet s1 s2 s3 b1 b2 >fleet.txt 2>&1
expect "merge of two machines: exit 0, two machine directories" "0 2" "$? $(ls fleet/machines | wc -l)"
a=$(json fleet/meta.json "d['machines'][0]['key']") b=$(json fleet/meta.json "d['machines'][1]['key']")
expect "keys: the host and different fingerprints" "yes" \
  "$([[ $a == "$(hostname | tr -c 'A-Za-z0-9._\n-' _)-"* && $b == "${a%-*}-"* && $a != "$b" ]] && echo yes || echo "no: $a $b")"
for m in "$a" "$b"; do
  expect "machine $m: every cell once, every rep verified" "missing=none" \
    "$(python3 "$check" "fleet/machines/$m" | grep -o 'missing=.*' || python3 "$check" "fleet/machines/$m")"
done
"$qtopo" merge fleet1 s1 s2 s3 b1 >/dev/null 2>&1
expect "a machine's missing slice is named in the fleet's meta.json" "2/2" \
  "$(json fleet1/meta.json "[m['missing'][0]['slice'] for m in d['machines'] if m['missing']][0]")"

# ---- a machine type: slices on different hosts of alike hardware are one machine with --as
cp -r s2 s2node2
python3 - s2node2/meta.json <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["machine"]["hostname"] = "node2"; json.dump(m, open(sys.argv[1], "w"))
PY
"$qtopo" merge byhost s1 s2node2 s3 >/dev/null 2>&1
expect "without --as, another host is another machine" "2" "$(ls byhost/machines | wc -l)"
"$qtopo" merge bytype --as epyc s1 s2node2 s3 >/dev/null 2>&1
expect "with --as epyc, one machine: its key the type's, the hosts named, every cell once" \
  "epyc-${a##*-} $(hostname) node2 missing=none" \
  "$(json bytype/meta.json "d['merged']['machine_key'] + ' ' + ' '.join(d['merged']['hosts'])") \
$(python3 "$check" bytype | grep -o 'missing=.*')"
bad_input "merge --as with a bad name" "--as 'a b'" "$qtopo" merge out --as 'a b' s1
rm -rf s2node2 byhost bytype

# ---- the report's machine axis (the page needs no gnuplot; each machine's own report does)
"$qtopo" report fleet1 >report.txt 2>&1
expect "report of the fleet: exit 0, the page" "0 yes" "$? $([ -f fleet1/report/index.html ] && echo yes)"
page=fleet1/report/index.html
for h in 'id="machines"' 'id="missing"' 'id="throughput"' 'id="speedup"' 'id="placement"' "$a" "$b" \
  "not among the merged directories" "AMD\|Intel\|unknown\|CPU"; do
  expect "the page has $h" yes "$(grep -q -- "$h" "$page" && echo yes || echo no)"
done
expect "throughput and p99 side by side: one row per topology x queue/wait" "8" \
  "$(sed -n '/id="throughput"/,/<\/table>/p' "$page" | grep -c '<td>.*p99')"
if command -v gnuplot >/dev/null; then
  expect "each machine's own report" "2" "$(ls fleet1/machines/*/report/index.html | wc -l)"
fi
"$qtopo" report fleet1 >/dev/null 2>&1
expect "a second report replaces the first" "0" "$?"

# ---- compare machine A against machine B on their common cells
"$qtopo" compare --machine "$b" --against "$a" fleet >cmp.txt 2>&1
rc=$?
expect "compare --machine B --against A: a comparison (exit 0 or 1)" "yes" \
  "$([ $rc -le 1 ] && grep -q '(16 cells on both sides' cmp.txt && echo yes || { echo "exit $rc:"; cat cmp.txt; })"
bad_input "compare --machine of no such machine" "machine 'nosuch': no such machine" \
  "$qtopo" compare --machine nosuch --against "$a" fleet
bad_input "compare --machine on one machine's results" "not a merge of several machines" \
  "$qtopo" compare --machine "$a" --against "$b" all
bad_input "compare --machine without --against" "--machine A --against B" "$qtopo" compare --machine "$a" fleet

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo pass
