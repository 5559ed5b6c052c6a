#!/usr/bin/env bash
# test_slurm_qtopo.sh SRC QTOPO - the whole way on a real one-node Slurm (slurm_fixture.sh):
# scripts/slurm-run submits a small matrix with the real qtopo as three slices (a job array) plus
# the merge-and-report job, the test waits for them with a time limit, and checks that the merged
# results hold every cell of the matrix once (the cells of a run of the whole matrix, in its
# order) with every rep verified, that the report was written, and that the plan was printed
# before submitting; then a slice that fails is named with why in the partial merge and its
# report, and --resubmit-missing runs only it and completes the merge.
# Exit 0 pass, 1 fail, 77 when this machine cannot run the daemons.
set -u
src=$(cd "${1:?usage: $0 SRC QTOPO}" && pwd)
qtopo=${2:?usage: $0 SRC QTOPO}
run=$src/scripts/slurm-run
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/fleet/slurm_fixture.sh
source "$here/slurm_fixture.sh"
command -v gnuplot >/dev/null || slurm_skip "no gnuplot (the merge job writes the report with it)"
slurm_fixture_start
w=$SLURM_FIXTURE_WORK

# shellcheck disable=SC2054 # the commas are qtopo's lists
M=(-t unicast,pipeline -q ring,mutex-array,mutex-linked -w yield,block -p os,smt -n 5K -r 3)
"$run" -o "$w/f" --slices 3 --qtopo "$qtopo" -- "${M[@]}" >"$w/submit.out" 2>&1 ||
  { echo "FAIL: slurm-run exited $?"; cat "$w/submit.out"; exit 1; }
cat "$w/submit.out"
a=$(sed -n 's/^  machine default: array job \([0-9]*\).*/\1/p' "$w/submit.out")
m=$(sed -n 's/^  merge and report: job \([0-9]*\).*/\1/p' "$w/submit.out")
c=$(sed -n 's/^  check: job \([0-9]*\).*/\1/p' "$w/submit.out")
for id in "$a" "$m" "$c"; do [ -n "$id" ] || { echo "FAIL: no job ids printed"; exit 1; }; done
slurm_expect "the slice plan was printed before submitting" "3 1" \
  "$(grep -cE '^[123]/3 ' "$w/submit.out") $(grep -c '^longest slice: ' "$w/submit.out")"
slurm_expect "it says where the report will be" "report: $w/f/merged/report/index.html" \
  "$(grep '^report:' "$w/submit.out")"
slurm_wait 150 "$a" "$m" "$c" || exit 1
slurm_expect "three tasks and the merge completed" \
  "$(printf '%s COMPLETED\n' "${a}_1" "${a}_2" "${a}_3" "$m" "$c")" \
  "$( (slurm_jobs "$a"; slurm_jobs "$m"; slurm_jobs "$c") | cut -d' ' -f1,2 | sort)"
"$qtopo" run "${M[@]}" -o "$w/whole" >/dev/null 2>&1 || { echo "FAIL: the whole matrix here"; exit 1; }
slurm_expect "merged: every cell of the matrix once, every rep verified, nothing missing" \
  "missing=none" "$(python3 "$here/check_merged.py" "$w/f/merged" --cells-of "$w/whole" | grep -o 'missing=.*' ||
    python3 "$here/check_merged.py" "$w/f/merged" --cells-of "$w/whole")"
slurm_expect "the merge job wrote the report" yes \
  "$([ -s "$w/f/merged/report/index.html" ] && echo yes || { echo no; cat "$w/f/slurm/log/merge.$m.log"; })"
slurm_expect "each slice's results say which slice it is" "1/3 2/3 3/3" \
  "$(for k in 1 2 3; do python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["slice"]; print("%d/%d" % (s["k"], s["n"]))' "$w/f/slices/default/$k/meta.json"; done | xargs)"

# ---- slice 2 fails (qtopo behind a wrapper that exits 3 for it while $w/fail-2 exists): the
# merge never runs, the check job's partial merge and report name it and why; resubmitting the
# missing slice completes the merge.
wrap=$w/qtopo-wrapper
cat >"$wrap" <<EOF
#!/bin/sh
case " \$* " in *" --slice 2/"*) [ -e "$w/fail-2" ] && exit 3 ;; esac
exec "$qtopo" "\$@"
EOF
chmod +x "$wrap"
touch "$w/fail-2"
# jobs OUTFILE: the array, merge and check job ids slurm-run printed.
jobs() {
  sed -n 's/^  machine default: array job \([0-9]*\).*/\1/p; s/^  merge and report: job \([0-9]*\).*/\1/p
s/^  check: job \([0-9]*\).*/\1/p' "$1" | xargs
}
"$run" -o "$w/g" --slices 3 --qtopo "$wrap" -- "${M[@]}" >"$w/g.out" 2>&1 ||
  { echo "FAIL: slurm-run exited $?"; cat "$w/g.out"; exit 1; }
read -r a m c <<<"$(jobs "$w/g.out")"
slurm_wait 150 "$a" "$m" "$c" || exit 1
slurm_expect "slice 2 failed, the merge never ran" "${a}_2 FAILED/$m CANCELLED" \
  "$(slurm_not_completed "$a" | cut -d' ' -f1,2)/$(slurm_jobs "$m" | cut -d' ' -f1,2)"
p=$w/g/partial-$c
slurm_expect "the partial merge: slices 1 and 3, slice 2 missing, the scheduler's reason kept" \
  "missing=2/3 qtopo exited with status 3" \
  "$(python3 "$here/check_merged.py" "$p" | grep -o 'missing=.*') $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["merged"]["reported_missing"][0]["reason"])' "$p/meta.json")"
slurm_expect "its report names slice 2 and why" yes \
  "$(grep -q '<th>Missing</th><td>slice 2/3 of default: qtopo exited with status 3' "$p/report/index.html" && echo yes || echo no)"
rm "$w/fail-2"
"$run" --resubmit-missing "$w/g" >"$w/g2.out" 2>&1 || { echo "FAIL: resubmit exited $?"; cat "$w/g2.out"; exit 1; }
read -r a m c <<<"$(jobs "$w/g2.out")"
slurm_wait 150 "$a" "$m" "$c" || exit 1
slurm_expect "resubmitted: only slice 2 ran, then the merge" "${a}_2 COMPLETED/$m COMPLETED" \
  "$(slurm_jobs "$a" | cut -d' ' -f1,2)/$(slurm_jobs "$m" | cut -d' ' -f1,2)"
slurm_expect "now the merge is whole: every cell once, every rep verified" "missing=none" \
  "$(python3 "$here/check_merged.py" "$w/g/merged" --cells-of "$w/whole" | grep -o 'missing=.*' ||
    python3 "$here/check_merged.py" "$w/g/merged" --cells-of "$w/whole")"
slurm_checks_done
