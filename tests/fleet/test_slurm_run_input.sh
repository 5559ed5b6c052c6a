#!/usr/bin/env bash
# test_slurm_run_input.sh SRC [QTOPO] - scripts/slurm-run's bad input, table-driven: each command
# line below exits 2 with one line on stderr containing the expected phrase, prints nothing on
# stdout and writes nothing. None of them gets as far as Slurm, so this runs without one. With
# QTOPO (the real binary) it also checks that a matrix qtopo refuses is refused before anything.
set -u
run=$(cd "${1:?usage: $0 SRC [QTOPO]}" && pwd)/scripts/slurm-run
work=$(mktemp -d "${TMPDIR:-/tmp}/qtopo-slurm-run-input.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work" && work=$(pwd -P) || exit 1
mkdir existing fx
printf 'keep me\n' >existing/file
snapshot() { find . -path ./err -prune -o -print | sort; cat existing/file; }

# expected phrase | arguments (shell words)
cases=$(cat <<'TABLE'
no -o/--out directory|
no -o/--out directory|--slices 2 --estimate 5
bad --slices ''|-o out --estimate 5
bad --slices '0'|-o out --slices 0 --estimate 5
bad --slices '1001'|-o out --slices 1001 --estimate 5
bad --slices 'a'|-o out --slices a --estimate 5
bad --slices '-3'|-o out --slices -3 --estimate 5
--no-qtopo-check needs --estimate SEC|-o out --slices 2 --no-qtopo-check
bad --estimate '0'|-o out --slices 2 --estimate 0
bad --estimate '1.5'|-o out --slices 2 --estimate 1.5
bad --merge-time '0'|-o out --slices 2 --estimate 5 --merge-time 0
bad machine name 'a b'|-o out --slices 2 --estimate 5 --machine 'a b'
bad machine name ''|-o out --slices 2 --estimate 5 --machine :partition=p
bad 'queue=x' in --machine 'a:queue=x'|-o out --slices 2 --estimate 5 --machine a:queue=x
bad 'partition=' in --machine 'a:partition='|-o out --slices 2 --estimate 5 --machine a:partition=
machine 'a' given twice|-o out --slices 2 --estimate 5 --machine a --machine a:constraint=c
unknown option '--slice'|-o out --slice 1/2 --estimate 5
unknown option 'x'|-o out --slices 2 --estimate 5 x
'-o' after -- is slurm-run's to give|-o out --slices 2 --estimate 5 -- -t unicast -o x
'--slice' after -- is slurm-run's to give|-o out --slices 2 --estimate 5 -- --slice 1/2
'--resume=r' after -- is slurm-run's to give|-o out --slices 2 --estimate 5 -- --resume=r
'--slice-plan' after -- is slurm-run's to give|-o out --slices 2 --estimate 5 -- --slice-plan 2
'existing' exists|-o existing --slices 2 --estimate 5
no qtopo at '/nonexistent/qtopo'|-o out --slices 2 --estimate 5 --qtopo /nonexistent/qtopo
no qtopo 'no-such-qtopo' on PATH|-o out --slices 2 --estimate 5 --qtopo no-such-qtopo
no qtopo at './fx'|-o out --slices 2 --estimate 5 --qtopo ./fx
has no 'run --slice' and 'merge'|-o out --slices 2 --estimate 5 --qtopo /bin/true
--resubmit-missing takes one directory|--resubmit-missing
--resubmit-missing takes one directory|--resubmit-missing existing extra
--resubmit-missing takes one directory|-o out --resubmit-missing existing
'WORK/existing' is not a slurm-run directory|--resubmit-missing existing
TABLE
)
if [ -n "${2:-}" ]; then
  cases+=$'\n'"qtopo refuses the matrix: qtopo run: -t/--topology: unknown topology 'nosuch'|-o out --slices 2 --qtopo $2 -- -t nosuch"
fi

fails=0 n=0
before=$(snapshot)
while IFS='|' read -r phrase args; do
  n=$((n + 1))
  phrase=${phrase//WORK/$work}
  eval "set -- $args"
  "$run" "$@" >out.txt 2>err
  rc=$?
  what="slurm-run $args"
  if [ $rc -ne 2 ]; then
    echo "FAIL $what: exit $rc, expected 2 ($(head -1 err))"
  elif [ "$(grep -c '' err)" -ne 1 ]; then
    echo "FAIL $what: $(grep -c '' err) lines on stderr, expected 1:"; cat err
  elif ! grep -qF -- "$phrase" err; then
    echo "FAIL $what: stderr '$(cat err)' lacks '$phrase'"
  elif [ -s out.txt ]; then
    echo "FAIL $what: printed on stdout: $(head -1 out.txt)"
  elif rm -f out.txt err && [ "$(snapshot)" != "$before" ]; then
    echo "FAIL $what: wrote something:"; diff <(echo "$before") <(snapshot)
  else
    echo "ok   $what -> $phrase"
    continue
  fi
  rm -rf out.txt err out
  fails=$((fails + 1))
done <<<"$cases"

echo "$((n - fails))/$n bad command lines refused"
if ! "$run" --help >help.txt 2>&1 || ! grep -q 'slice-plan' help.txt; then
  echo "FAIL --help: an error, or no word of the slice plan"
  fails=$((fails + 1))
fi
[ $fails -eq 0 ]
