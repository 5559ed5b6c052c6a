#!/usr/bin/env bash
# test_slurm_run.sh SRC [--time-limit] - scripts/slurm-run's Slurm side on a real one-node Slurm
# (slurm_fixture.sh), with a stand-in in qtopo's place that does nothing but exit 0, or 3 for
# slice 2 (so this checks the jobs, their dependencies, the status files and missing.tsv, not
# results: qtopo's slices and merge are not there yet).
#   default: three slices of one machine type all succeed, and merge and check run after them;
#   two machine types (a partition, a constraint) where slice 2 fails on each: it is named in
#   missing.tsv with qtopo's exit status, the merge job never runs, --resubmit-missing submits
#   only slice 2 of each and then the merge runs; a partition or constraint the cluster lacks is
#   bad input (exit 2, nothing written or submitted).
#   --time-limit (about 100 s): slice 2 outlives its 1-minute limit and is named as stopped there.
# Exit 0 pass, 1 fail, 77 when this machine cannot run the daemons (the reason is printed).
set -u
run=$(cd "${1:?usage: $0 SRC [--time-limit]}" && pwd)/scripts/slurm-run
mode=${2:-default}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/fleet/slurm_fixture.sh
source "$here/slurm_fixture.sh"
slurm_fixture_start
w=$SLURM_FIXTURE_WORK

# In qtopo's place: exit 3 for slice 2 while $w/fail-2 exists, sleep past the time limit while
# $w/hang-2 exists; otherwise (other slices, merge, report) do nothing.
stub=$w/stand-in
cat >"$stub" <<EOF
#!/bin/sh
case " \$* " in
  *" --slice 2/"*) [ -e "$w/fail-2" ] && exit 3; [ -e "$w/hang-2" ] && exec sleep 600 ;;
esac
exit 0
EOF
chmod +x "$stub"

# slurm_run NAME ARGS...: scripts/slurm-run ARGS, its output shown and kept in $w/NAME.out.
slurm_run() {
  local name=$1
  shift
  "$run" "$@" >"$w/$name.out" 2>&1 || { echo "FAIL: slurm-run $* exited $?"; cat "$w/$name.out"; exit 1; }
  cat "$w/$name.out"
}
# ids NAME WHAT: the job id slurm-run NAME printed for WHAT (a machine type, merge, check).
ids() { sed -n "s/^  $2: job \([0-9]*\).*/\1/p; s/^  machine $2: array job \([0-9]*\).*/\1/p" "$w/$1.out"; }
# FIELD of every job or task of JOBID (scontrol's Key=Value), sorted and unique.
field() { scontrol -o show job "$1" | grep -oE "(^| )$2=[^ ]*" | sed 's/^ //' | sort -u; }
# slurm-run's own files, without the log paths.
missing() { cut -f1-3 "$1/slurm/missing.tsv"; }
status() { sed -n 's/^status=//p' "$1"; }

if [ "$mode" = --time-limit ]; then
  touch "$w/hang-2"
  slurm_run t -o "$w/t" --slices 2 --estimate 5 --qtopo "$stub" --no-qtopo-check
  a=$(ids t default) c=$(ids t check)
  slurm_wait 150 "$a" "$c" || exit 1
  slurm_expect "slice 2 stopped at its limit" "${a}_2 TIMEOUT" "$(slurm_not_completed "$a" | cut -d' ' -f1,2)"
  slurm_expect "missing.tsv says so" "$(printf 'default\t2/2\tstopped at its time limit (1 min)')" "$(missing "$w/t")"
  slurm_checks_done
fi

# ---- one machine type, every slice succeeds
slurm_run ok -o "$w/ok" --slices 3 --estimate 5 --qtopo /bin/true --no-qtopo-check -- -t unicast -r 3
a=$(ids ok default) m=$(ids ok "merge and report") c=$(ids ok check)
for id in "$a" "$m" "$c"; do [ -n "$id" ] || { echo "FAIL: no job ids printed"; exit 1; }; done
slurm_wait 40 "$a" "$m" "$c" || exit 1
slurm_expect "three tasks, all completed" "$(printf '%s COMPLETED None 0:0\n' "${a}_1" "${a}_2" "${a}_3")" \
  "$(slurm_jobs "$a" | sort)"
slurm_expect "each alone on the node, limited to twice the estimate" "$(printf 'OverSubscribe=NO\nTimeLimit=00:01:00')" \
  "$(field "$a" OverSubscribe; field "$a" TimeLimit)"
slurm_expect "merge and check ran" "$m COMPLETED/$c COMPLETED" \
  "$(slurm_jobs "$m" | cut -d' ' -f1,2)/$(slurm_jobs "$c" | cut -d' ' -f1,2)"
last_end=$(field "$a" EndTime | tail -1)
merge_start=$(field "$m" StartTime)
slurm_expect "merge started after the last task ended" yes \
  "$([[ ${merge_start#*=} > ${last_end#*=} || ${merge_start#*=} == "${last_end#*=}" ]] && echo yes || echo "no: $merge_start, last $last_end")"
slurm_expect "every slice has status 0 from its task" "0 ${a}_1 0 ${a}_2 0 ${a}_3" \
  "$(for k in 1 2 3; do echo "$(status "$w/ok/slurm/status/default.$k") $(sed -n 's/^job=//p' "$w/ok/slurm/status/default.$k")"; done | xargs)"
slurm_expect "nothing missing" "" "$(missing "$w/ok")"
slurm_expect "the check job says so" "every slice finished" "$(cat "$w/ok/slurm/log/check.$c.log")"
slurm_expect "the plan keeps the matrix" "-t unicast -r 3" \
  "$(bash -c 'source "$1"; echo "${plan_matrix[*]}"' _ "$w/ok/slurm/plan")"
slurm_expect "it says where the report will be" "report: $w/ok/merged/report/index.html" "$(grep '^report:' "$w/ok.out")"

# ---- two machine types; slice 2 fails on both, then runs again
touch "$w/fail-2"
slurm_run bad -o "$w/bad" --slices 3 --estimate 5 --qtopo "$stub" --no-qtopo-check \
  --machine a:partition=fixture --machine b:constraint=fixture
a=$(ids bad a) b=$(ids bad b) m=$(ids bad "merge and report") c=$(ids bad check)
slurm_wait 40 "$a" "$b" "$m" "$c" || exit 1
slurm_expect "machine a: slice 2 failed with the stand-in's status" "${a}_2 FAILED NonZeroExitCode 3:0" \
  "$(slurm_not_completed "$a")"
slurm_expect "machine b: the same" "${b}_2 FAILED NonZeroExitCode 3:0" "$(slurm_not_completed "$b")"
slurm_expect "machine a's tasks went to its partition, b's to its constraint" "Partition=fixture Features=fixture" \
  "$(field "$a" Partition) $(field "$b" Features)"
slurm_expect "the merge job never ran (cancelled: its dependency cannot be met)" \
  "$m CANCELLED DependencyNeverSatisfied" "$(slurm_jobs "$m" | cut -d' ' -f1-3)"
slurm_expect "missing.tsv names slice 2 of each machine type and why" \
  "$(printf 'a\t2/3\tqtopo exited with status 3\nb\t2/3\tqtopo exited with status 3')" "$(missing "$w/bad")"
slurm_expect "with the log of the task" "$w/bad/slurm/log/a.2.$a.log" "$(head -1 "$w/bad/slurm/missing.tsv" | cut -f4)"
slurm_expect "the check job's log says how to resubmit" "to run only those again: scripts/slurm-run --resubmit-missing $w/bad" \
  "$(grep resubmit "$w/bad/slurm/log/check.$c.log")"

rm "$w/fail-2"
slurm_run again --resubmit-missing "$w/bad"
a2=$(ids again a) b2=$(ids again b) m2=$(ids again "merge and report") c2=$(ids again check)
slurm_wait 40 "$a2" "$b2" "$m2" "$c2" || exit 1
slurm_expect "only slice 2 ran again, on each machine type" "${a2}_2 COMPLETED ${b2}_2 COMPLETED" \
  "$(slurm_jobs "$a2" | cut -d' ' -f1,2) $(slurm_jobs "$b2" | cut -d' ' -f1,2)"
slurm_expect "then the merge ran" "$m2 COMPLETED" "$(slurm_jobs "$m2" | cut -d' ' -f1,2)"
slurm_expect "and nothing is missing" "" "$(missing "$w/bad")"
"$run" --resubmit-missing "$w/bad" >"$w/again2.out" 2>&1
slurm_expect "a second resubmission has nothing to do" "0 slurm-run: nothing missing in $w/bad" "$? $(cat "$w/again2.out")"

# ---- what the cluster does not have: bad input, found before anything is written or submitted
for spec in x:partition=nosuch x:constraint=nosuch; do
  before=$(scontrol -o show jobs | grep -c '^JobId')
  "$run" -o "$w/no" --slices 2 --estimate 5 --qtopo /bin/true --no-qtopo-check --machine "$spec" \
    >"$w/no.out" 2>"$w/no.err"
  slurm_expect "--machine $spec: exit 2, one line naming it, nothing written or submitted" \
    "2 1 machine 'x': sbatch refuses it no no $before" \
    "$? $(grep -c '' "$w/no.err") $(grep -o "machine 'x': sbatch refuses it" "$w/no.err") \
$([ -s "$w/no.out" ] && echo yes || echo no) $([ -e "$w/no" ] && echo yes || echo no) \
$(scontrol -o show jobs | grep -c '^JobId')"
done

slurm_checks_done
