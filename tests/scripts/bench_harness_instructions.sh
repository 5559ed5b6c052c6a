#!/usr/bin/env bash
# scripts/bench-harness --instructions --quick under the real valgrind, this build on both sides:
# every cell has its hot functions with a count per event, the same on both sides (one binary,
# so a count that differs by much means the method does not cancel what a run costs once), the
# table and its JSON are written. Skipped (77) without valgrind. Counts, not speeds: nothing
# here depends on how loaded the machine is.
# Usage: bench_harness_instructions.sh SCRIPT QTOPO
set -u
script=$1 qtopo=$2
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed (scripts/setup installs it)"; exit 77; }
tmp=$(mktemp -d /tmp/qtopo-bench-harness-instr.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
die() { echo "FAIL: $*"; exit 1; }

"$script" --instructions --quick --before "$qtopo" --after "$qtopo" -o "$tmp/t.md" >"$tmp/out" \
  2>"$tmp/err" || die "exit $? ($(tail -3 "$tmp/err"))"
grep -qxF "| cell | function | before | after | after/before |" "$tmp/t.md" || die "no table header"
num="-?[0-9]+\.[0-9]"
# The hot loop of each kind of cell, by the function that holds it.
for want in "unicast yield:ring_producer" "unicast yield:batch_term" "unicast yield batch 256:ring_producer" \
  "diamond yield:batch_stage" "pingpong yield:echo_batch" "pingpong yield:ring_pingpong" \
  "mutex unicast:edge_stage" "mutex unicast:edge_producer"; do
  cell=${want%%:*} fn=${want#*:}
  grep -Eq "^\| $cell \(-n [0-9]+\) \| $fn[^|]* \| $num \| $num \| [0-9.]+ \|$" "$tmp/t.md" ||
    die "'$cell' has no count for $fn: $(grep -F "| $cell (" "$tmp/t.md" | head -3)"
done
python3 - "$tmp/t.md.json" <<'PY' || die "t.md.json incomplete, or one binary counted differently"
import json, sys
d = json.load(open(sys.argv[1]))["instructions"]
assert len(d) == 5, d.keys()
for cell, r in d.items():
    b, a = r["before"], r["after"]
    assert b["status"] == a["status"] == "ok", (cell, b, a)
    # The ring's hot loops of one binary, counted twice: within 25%. At --quick's 100K events a
    # producer's count moves with how often its claims met a full ring (the slow path is counted
    # in the same function); at 1M it repeats to within a few instructions. The mutex backend's
    # loops hold their condition-variable waits, which vary with the interleaving: not compared.
    for fn in ("ring_producer", "echo_batch", "ring_pingpong"):
        if fn in a["per_event"] and a["per_event"][fn] > 20:
            x, y = b["per_event"][fn], a["per_event"][fn]
            assert abs(x - y) <= 0.25 * y, (cell, fn, x, y)
PY
cmp -s "$tmp/out" "$tmp/t.md" || die "stdout and --out differ"
echo "ok: bench-harness --instructions --quick"
