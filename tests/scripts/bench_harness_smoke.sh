#!/usr/bin/env bash
# scripts/bench-harness --quick with this build's qtopo on both sides: every row and target is
# there with a number, the table and its JSON are written, bad input exits 2 with one line and
# writes nothing. Plumbing only: the figures of a --quick run mean nothing.
# Usage: bench_harness_smoke.sh SCRIPT QTOPO
set -u
script=$1 qtopo=$2
tmp=$(mktemp -d /tmp/qtopo-bench-harness-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
die() { echo "FAIL: $*"; exit 1; }

"$script" --quick --before "$qtopo" --after "$qtopo" -o "$tmp/t.md" >"$tmp/out" 2>"$tmp/err" ||
  die "exit $? ($(tail -3 "$tmp/err"))"
header="| row | figure | before | after | after/before (per round) | load | rtt ns | switched |"
grep -qxF "$header" "$tmp/t.md" || die "main table header (with its rtt ns and switched columns) missing"
# Each row: before, after, the per-round ratio's median (min-max), load, rtt min-max, and how
# many of its runs straddled a regime switch (k/N).
num="[0-9.e+]+" span="[0-9.]+-[0-9.]+"
for row in "unicast yield" "unicast spin256" "diamond yield" "mutex unicast" "mutex diamond" \
  "pingpong spin" "paced spin 1M" "paced yield 1M" "unicast yield one PU"; do
  grep -Eq "^\| $row \| [^|]+ \| $num \| $num \| [0-9.]+ \($span\) \| $span \| $span \| [0-9]+/[0-9]+ \|$" \
    "$tmp/t.md" || die "row '$row' missing or without numbers: $(grep -F "| $row |" "$tmp/t.md")"
done
grep -Eq "^bare ring \(qtopo-bench-queues.*raw rtt right before each bare run $span ns" \
  "$tmp/t.md" || die "bare ring line without its rtt"
grep -Eq "^bare ring on one PU .* claim 1 $num events/s with [0-9]+-byte slots, $num with 8-byte" \
  "$tmp/t.md" || die "one-PU bare ring line missing"
# Each target: a measured number, and the rtt beside it (cell / bare, or the runs' own).
for t in "bare ring-yield" "stream-copy" "raw-rtt" "no-latency" \
  "unicast yield on one PU / bare ring-yield on one PU"; do
  grep -Eq "^\| [^|]*${t}[^|]* \| [0-9.]+ \| .* \| $span( / $span)? \|$" "$tmp/t.md" ||
    die "target '$t' missing or without its rtt"
done
# The JSON: every run of every row has its rtt; the one-PU row's threads all ran on one CPU.
python3 - "$tmp/t.md.json" <<'PY' || die "t.md.json incomplete"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rows"] and d["extra"]["bench_queues"]
for name, row in d["rows"].items():
    for side in ("before", "after"):
        assert row[side] and all(r["rtt_ns"] and r["rtt_ns_after"] for r in row[side]), (name, side)
for side in ("before", "after"):
    assert all(len(r["cpus_seen"]) == 1 for r in d["rows"]["unicast yield one PU"][side])
for b in d["extra"]["bench_queues"]:
    assert all(b["rtt_ns"]) and all(b["one_pu_rtt_ns"]), b
PY
cmp -s "$tmp/out" "$tmp/t.md" || die "stdout and --out differ"

# Bad input: one line, exit 2, nothing written.
for args in "--before /nonexistent" "--before $qtopo -r 0" "--before $qtopo -n 12x" \
  "--before $qtopo --bogus" "--after $qtopo" "--before $qtopo -o $tmp/t.md"; do
  # shellcheck disable=SC2086
  "$script" $args >"$tmp/b.out" 2>"$tmp/b.err"
  rc=$?
  [ $rc -eq 2 ] || die "'$args': exit $rc, expected 2"
  [ "$(wc -l <"$tmp/b.err")" -eq 1 ] || die "'$args': not one line: $(cat "$tmp/b.err")"
  [ ! -s "$tmp/b.out" ] || die "'$args': wrote to stdout"
done
echo "ok: bench-harness --quick and its bad input"
