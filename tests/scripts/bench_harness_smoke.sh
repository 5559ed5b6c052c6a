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
for row in "unicast yield" "unicast spin256" "diamond yield" "mutex unicast" "mutex diamond" \
  "pingpong spin" "paced spin 1M" "paced yield 1M"; do
  grep -Eq "^\| $row \| [^|]+ \| [0-9.e+]+ \| [0-9.e+]+ \| [0-9.]+ \([0-9.]+-[0-9.]+\) \|" "$tmp/t.md" ||
    die "row '$row' missing or without numbers: $(grep "$row" "$tmp/t.md")"
done
for t in "bare ring-yield" "stream-copy" "raw-rtt" "no-latency"; do
  grep -q "^| .*$t.* | [0-9.]* |" "$tmp/t.md" || die "target '$t' missing"
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["rows"] and d["extra"]["bench_queues"]' \
  "$tmp/t.md.json" || die "t.md.json incomplete"
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
