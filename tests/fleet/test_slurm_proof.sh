#!/usr/bin/env bash
# test_slurm_proof.sh - what scripts/slurm-run relies on, on a real one-node Slurm
# (slurm_fixture.sh): a job array whose tasks each write a file naming their task id and a
# --dependency=afterok job that joins them; and when one task fails, that task is named with its
# exit code, the afterok job never runs (it stays pending with DependencyNeverSatisfied, or is
# cancelled with --kill-on-invalid-dep=yes) and an afterany job still runs.
# Exit 0 pass, 1 fail, 77 when this machine cannot run the daemons (the reason is printed).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/fleet/slurm_fixture.sh
source "$here/slurm_fixture.sh"
slurm_fixture_start
w=$SLURM_FIXTURE_WORK
submit() { sbatch --parsable "$@" | cut -d';' -f1; }

t0=$(date +%s)
# --exclusive, as slurm-run's tasks: one at a time on the node.
good=$(submit --array=1-3 --exclusive -o "$w/good_%a.log" \
  --wrap "echo task \$SLURM_ARRAY_TASK_ID >$w/good.\$SLURM_ARRAY_TASK_ID")
join=$(submit --dependency=afterok:"$good" -o "$w/join.log" \
  --wrap "cat $w/good.1 $w/good.2 $w/good.3 >$w/joined")
bad=$(submit --array=1-3 --exclusive -o "$w/bad_%a.log" \
  --wrap "[ \$SLURM_ARRAY_TASK_ID -ne 2 ] || exit 3; echo task \$SLURM_ARRAY_TASK_ID >$w/bad.\$SLURM_ARRAY_TASK_ID")
never=$(submit --dependency=afterok:"$bad" -o "$w/never.log" --wrap "touch $w/never.ran")
killed=$(submit --dependency=afterok:"$bad" --kill-on-invalid-dep=yes -o "$w/killed.log" \
  --wrap "touch $w/killed.ran")
any=$(submit --dependency=afterany:"$bad" -o "$w/any.log" --wrap "touch $w/any.ran")
for id in "$good" "$join" "$bad" "$never" "$killed" "$any"; do
  [ -n "$id" ] || { echo "FAIL: sbatch gave no job id"; exit 1; }
done

slurm_wait 45 "$good" "$join" "$bad" "$never" "$killed" "$any" || exit 1
echo "jobs ended after $(($(date +%s) - t0))s"

slurm_expect "every task of the array completed" \
  "$(printf '%s COMPLETED None 0:0\n' "${good}_1" "${good}_2" "${good}_3")" \
  "$(slurm_jobs "$good" | sort)"
slurm_expect "the afterok job ran after all of them" "${join} COMPLETED None 0:0" "$(slurm_jobs "$join")"
slurm_expect "it joined the three files in task order" "$(printf 'task %s\n' 1 2 3)" "$(cat "$w/joined" 2>&1)"

slurm_expect "the failed task is named, with its exit code" "${bad}_2 FAILED NonZeroExitCode 3:0" \
  "$(slurm_not_completed "$bad")"
slurm_expect "the other tasks wrote their files" "task 1 task 3" "$(cat "$w/bad.1" "$w/bad.3" 2>&1 | xargs)"
slurm_expect "the afterok job waits for ever" "${never} PENDING DependencyNeverSatisfied 0:0" \
  "$(slurm_jobs "$never")"
slurm_expect "with --kill-on-invalid-dep=yes it is cancelled" "${killed} CANCELLED DependencyNeverSatisfied 0:0" \
  "$(slurm_jobs "$killed")"
slurm_expect "neither ran" "" "$(ls "$w/never.ran" "$w/killed.ran" 2>/dev/null)"
slurm_expect "the afterany job ran" "${any} COMPLETED yes" "$(slurm_jobs "$any" | cut -d' ' -f1,2) $([ -e "$w/any.ran" ] && echo yes)"

slurm_checks_done
