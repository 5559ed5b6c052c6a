#!/usr/bin/env bash
# run_fuzz.sh TARGET SECONDS CORPUS SEED... - one libFuzzer target for a fixed time over a working
# corpus (seeded from the fixtures; new inputs go there, never into the source tree). Fails on a
# crash, a leak, a hang (an input over 10 s), running out of memory, or any other exit than 0;
# prints the executions and what the corpus grew to. FUZZ_FLAGS: more libFuzzer flags.
set -u
target=$1 secs=$2 corpus=$3
shift 3
mkdir -p "$corpus"
for s in "$@"; do
  if [ -d "$s" ]; then cp -n "$s"/* "$corpus"/ 2>/dev/null; else cp -n "$s" "$corpus"/; fi
done
log=$corpus.log
# Artifacts (the crashing input) next to the corpus; error and timeout exits are 1, never
# ctest's skip code 77.
ASAN_OPTIONS="detect_leaks=1 abort_on_error=1 ${ASAN_OPTIONS:-}" \
UBSAN_OPTIONS="print_stacktrace=1 halt_on_error=1 ${UBSAN_OPTIONS:-}" \
  "$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -error_exitcode=1 \
  -timeout_exitcode=1 -print_final_stats=1 -artifact_prefix="$corpus-" ${FUZZ_FLAGS:-} \
  "$corpus" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "$(basename "$target"): exit $rc, ${execs:-?} executions in $secs s, corpus $(ls "$corpus" | wc -l) inputs"
if [ $rc -ne 0 ]; then
  grep -v '^#\|^INFO\|^stat::' "$log" | tail -40
  ls "$corpus"-* 2>/dev/null
  exit 1
fi
