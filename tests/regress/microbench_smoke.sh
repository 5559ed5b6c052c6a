#!/usr/bin/env bash
# microbench_smoke.sh MICROBENCH OUT [counting] - qtopo-microbench runs every benchmark without an
# error, writes Google Benchmark JSON with the expected rows, and Google Benchmark's compare.py reads
# two such files (when libbenchmark-tools and python3-scipy are installed). With 'counting', the
# malloc_free/counted row must have gone through the allocation counter (1 call per iteration).
# Checks behaviour only, never speed.
set -uo pipefail
mb=$1 out=$2 counting=${3:-}
rm -rf "$out" && mkdir -p "$out"
fail() { echo "FAIL: $*"; exit 1; }

for side in a b; do
  "$mb" --benchmark_min_time=0.002 --benchmark_repetitions=2 --benchmark_out="$out/$side.json" \
    --benchmark_out_format=json >"$out/$side.log" 2>&1 || fail "qtopo-microbench exited $? (see $out/$side.log)"
done
expected='ring_sp_cycle/batch:1 ring_sp_cycle/batch:16 ring_sp_cycle/batch:256
  mqueue_push_pop/mutex-array mqueue_push_pop/mutex-linked
  ckq_push_pop/ck-ring/spsc/spin ckq_push_pop/ck-ring/spsc/block
  ckq_push_pop/ck-ring/mpmc/spin ckq_push_pop/ck-ring/mpmc/block wait_signal/spin wait_signal/yield
  wait_signal/block hist_record malloc_free/libc/64 malloc_free/counted/64'
for name in $expected; do
  n=$(jq --arg n "$name" '[.benchmarks[] | select(.name == $n and .run_type == "iteration")] | length' "$out/a.json")
  [ "$n" -eq 2 ] || fail "$name: expected 2 repetition rows, got $n"
done
errors=$(jq -r '[.benchmarks[] | select(.error_occurred == true) | .name] | join(", ")' "$out/a.json")
[ -z "$errors" ] || fail "benchmarks reported errors: $errors"
items=$(jq '[.benchmarks[] | select(.run_type == "iteration" and (.items_per_second // 0) <= 0)] | length' "$out/a.json")
[ "$items" -eq 0 ] || fail "$items rows without items_per_second"
if [ "$counting" = counting ]; then
  c=$(jq '[.benchmarks[] | select(.name == "malloc_free/counted/64" and .run_type == "iteration") | .counted_per_iter] | min' "$out/a.json")
  l=$(jq '[.benchmarks[] | select(.name == "malloc_free/libc/64" and .run_type == "iteration") | .counted_per_iter] | max' "$out/a.json")
  [ "$c" = 1 ] || fail "malloc_free/counted: the allocation counter saw $c calls per iteration, expected 1"
  [ "$l" = 0 ] || fail "malloc_free/libc: the allocation counter saw $l calls per iteration, expected 0"
fi

py=''
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import scipy' 2>/dev/null; then py=$p; break; fi
done
cmp=/usr/share/benchmark/compare.py
if [ -n "$py" ] && [ -f "$cmp" ]; then
  "$py" "$cmp" --no-color -a benchmarks "$out/a.json" "$out/b.json" >"$out/compare.txt" 2>&1 ||
    fail "compare.py failed on two qtopo-microbench outputs (see $out/compare.txt)"
  grep -q 'ring_sp_cycle/batch:16_pvalue' "$out/compare.txt" || fail "compare.py output lacks the U test rows"
  echo "compare.py: ok ($(grep -c '_pvalue' "$out/compare.txt") U tests)"
else
  echo "compare.py or python3-scipy missing: JSON checked, compare.py not run"
fi
echo "microbench_smoke: ok"
