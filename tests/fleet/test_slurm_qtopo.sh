#!/usr/bin/env bash
# test_slurm_qtopo.sh SRC QTOPO - the whole way on a real one-node Slurm (slurm_fixture.sh):
# scripts/slurm-run submits a small matrix with the real qtopo as three slices (a job array) plus
# the merge-and-report job, the test waits for them with a time limit, and checks that the merged
# results hold every cell of the matrix once (the cells of a run of the whole matrix, in its
# order) with every rep verified, that the report was written, and that the plan was printed
# before submitting. Exit 0 pass, 1 fail, 77 when this machine cannot run the daemons.
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
slurm_checks_done
