#!/usr/bin/env bash
# The command's surface: --help on every subcommand (man-page sections), --version, list (every
# registry row), info and info --json (valid JSON), and no-argument usage (exit 2).
source "$(dirname "$0")/test_e2e_lib.sh"

"$qtopo" >o 2>e && die "no arguments should exit 2"
grep -q SYNOPSIS e || die "no usage on stderr without arguments"

for cmd in "" run list info describe; do
  # shellcheck disable=SC2086
  "$qtopo" $cmd --help >h 2>e || die "qtopo $cmd --help exited $?"
  for section in NAME SYNOPSIS "EXIT STATUS" EXAMPLES; do
    grep -q "^$section" h || die "qtopo $cmd --help lacks $section"
  done
  [ "$(awk 'length > 100' h | wc -l)" -eq 0 ] || die "qtopo $cmd --help has lines over 100 columns"
done
"$qtopo" run --help | grep -q "^OPTIONS" || die "run --help lacks OPTIONS"
for opt in topology queue wait placement memory events reps warmup ring-size batch payload work \
  fanout shards stages rate matrix out resume timeout oversubscribe quick seed; do
  "$qtopo" run --help | grep -q -- "--$opt" || die "run --help does not document --$opt"
done
"$qtopo" help run | grep -q "qtopo run - " || die "qtopo help run"
for cmd in report compare; do
  "$qtopo" $cmd --help >/dev/null 2>&1 || echo "note: qtopo $cmd --help exited $? (module absent?)"
done

"$qtopo" --version >v || die "--version exited $?"
grep -q "^qtopo [0-9]" v && grep -q "^git " v && grep -q "^compiler " v || die "--version: $(cat v)"

"$qtopo" list >l || die "list exited $?"
for name in unicast pipeline fanout diamond shard sequencer pingpong ring mutex-array mutex-linked \
  spin yield block os compact spread smt cross-numa cpus:LIST local interleave node:N; do
  grep -qw -- "$name" l || die "list lacks $name"
done

# Each named topology with its definition, an expression that parses back to the same thing.
grep -qF "= seq(fanout(stage(name=c1), stage(name=c2)), stage(name=c3))" l ||
  die "list lacks diamond's expression"
"$qtopo" help topologies >g || die "help topologies exited $?"
grep -q "^GRAMMAR" g && grep -q "shard *= \"shard\"" g || die "help topologies lacks the grammar"
"$qtopo" list --grammar | cmp -s - g || die "list --grammar differs from help topologies"
expr=$(sed -n 's/^ *= //p' l | sed -n 2p) # pipeline's
"$qtopo" describe "$expr" >d1 && "$qtopo" describe pipeline >d2 || die "describe exited $?"
[ "$(tail -n +2 d1)" = "$(tail -n +2 d2)" ] || die "pipeline's expression describes differently"
grep -q "^threads" d1 && grep -q "^ring" d1 && grep -q "^per-edge" d1 || die "describe: $(cat d1)"
"$qtopo" describe --shards 4 shard | grep -q "shard(stage(name=w), 4)" || die "describe --shards"
"$qtopo" describe --dot 'seq(stage, fanout(stage, stage))' >dot || die "describe --dot exited $?"
grep -q "^digraph" dot && grep -q "cluster_ring" dot && grep -q "cluster_edges" dot ||
  die "describe --dot: $(cat dot)"

"$qtopo" info >i || die "info exited $?"
"$qtopo" info --json >j || die "info --json exited $?"
python3 - <<'PY' || die "info --json"
import json
m = json.load(open("j"))
assert m["pus"] >= 1 and m["numa_nodes"] >= 1, m
assert any(p["name"] == "os" and p["possible"] for p in m["placements"]), m["placements"]
PY
echo "ok: commands"
