#!/usr/bin/env bash
# ci_script.sh SRC OUT - scripts/ci-regress and scripts/trend behave at their edges: bad input exits 2
# with one line, a base revision that predates qtopo exits 2 (0 with --report-only, with a note in
# summary.md), and the trend charts come out of a history file (bad history: exit 2).
# Exit 0 pass, 1 fail, 77 when SRC is not a git checkout (nothing to test the revisions with).
set -uo pipefail
src=$1 out=$2
ci=$src/scripts/ci-regress trend=$src/scripts/trend
rm -rf "$out"
mkdir -p "$out"
fails=0
check() { # description expected-status actual-status
  if [ "$2" -eq "$3" ]; then
    echo "ok   $1 (exit $3)"
  else
    echo "FAIL $1: expected exit $2, got $3"
    fails=$((fails + 1))
  fi
}

"$ci" >/dev/null 2>"$out/e1"; check "no revision" 2 $?
"$ci" --reps 0 HEAD >/dev/null 2>"$out/e2"; check "--reps 0" 2 $?
"$ci" --bogus HEAD >/dev/null 2>"$out/e3"; check "unknown option" 2 $?
grep -q "unknown option '--bogus'" "$out/e3" || { echo "FAIL unknown option message: $(cat "$out/e3")"; fails=$((fails + 1)); }
"$ci" --base-qtopo /nonexistent --new-qtopo /nonexistent >/dev/null 2>"$out/e4"; check "missing binary" 2 $?

if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
  "$ci" -o "$out/w" no-such-revision-xyz >/dev/null 2>"$out/e5"; check "unknown revision" 2 $?
  # The first commit of the repository predates the runner: it cannot give a qtopo binary.
  root=$(git -C "$src" rev-list --max-parents=0 HEAD | tail -1)
  if [ -z "$(git -C "$src" ls-tree -r --name-only "$root" -- runners/main.c)" ]; then
    "$ci" -o "$out/pre" --no-microbench "$root" >"$out/pre.log" 2>&1; check "base predates qtopo" 2 $?
    grep -q "predates\|cannot be built\|no 'qtopo' target" "$out/pre/summary.md" ||
      { echo "FAIL predates: summary.md does not say why"; fails=$((fails + 1)); }
    "$ci" -o "$out/pre2" --no-microbench --report-only "$root" >"$out/pre2.log" 2>&1
    check "base predates qtopo, --report-only" 0 $?
  else
    echo "skip predates check: the root commit already has runners/main.c"
  fi
else
  echo "skip revision checks: $src is not a git checkout"
fi

# Trend: a three-commit history with a dirty working tree and a missing p99.
h=$out/history.tsv
printf '# commit\tcommit_date\trun_date\tcell\tthroughput_eps\tp99_ns\treps\n' >"$h"
for c in 1111111111111111111111111111111111111111 2222222222222222222222222222222222222222 \
  3333333333333333333333333333333333333333-dirty; do
  printf '%s\t2024-01-01T00:00:00Z\t2024-01-02T00:00:00Z\tunicast.ring.yield\t1.5e7\t2000\t5\n' "$c" >>"$h"
  printf '%s\t2024-01-01T00:00:00Z\t2024-01-02T00:00:00Z\tdiamond.mutex-array.block\t2000000\t\t5\n' "$c" >>"$h"
done
"$trend" "$h" "$out/trend" >"$out/trend.log" 2>&1; check "trend" 0 $?
for f in trend-throughput.svg trend-throughput.png trend-p99.svg trend-p99.png trend-relative.svg index.html; do
  [ -s "$out/trend/$f" ] || { echo "FAIL trend: $f missing"; fails=$((fails + 1)); }
done
if command -v xmllint >/dev/null; then
  xmllint --noout "$out/trend/trend-throughput.svg" "$out/trend/trend-p99.svg" ||
    { echo "FAIL trend: SVG not well-formed"; fails=$((fails + 1)); }
fi
grep -q '"3333333333-dirty"' "$out/trend/trend-vars.gp" ||
  { echo "FAIL trend: commit labels not shortened"; fails=$((fails + 1)); }
printf 'not\ta\thistory\n' >"$out/bad.tsv"
"$trend" "$out/bad.tsv" "$out/trend-bad" >/dev/null 2>"$out/e6"; check "trend on a damaged history" 2 $?
"$trend" "$out/none.tsv" "$out/trend-bad" >/dev/null 2>"$out/e7"; check "trend on a missing history" 2 $?

[ $fails -eq 0 ] && { echo "ci_script: all checks passed"; exit 0; }
echo "ci_script: $fails checks failed"
exit 1
