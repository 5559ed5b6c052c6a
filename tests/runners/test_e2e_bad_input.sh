#!/usr/bin/env bash
# Bad input, table-driven (one line naming it, exit 2, nothing written): every line below is a
# command line (and, for
# --matrix, a file) that must give exit status 2, one message on stderr containing the expected
# phrase, and write nothing: no output directory, nothing in the working directory, no change to
# an existing results directory.
# Usage: test_e2e_bad_input.sh QTOPO
set -u
qtopo=${1:?usage: $0 QTOPO}
qtopo=$(cd "$(dirname "$qtopo")" && pwd)/$(basename "$qtopo")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/qtopo-bad.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

# Fixtures: matrix files and results directories to resume from.
mkdir fx
printf '{"topology": ["diamond"],,}\n' >fx/syntax.json
printf '{\n  "topology": "diamond",\n  "fanuot": [3, 6]\n}\n' >fx/unknown_key.json
printf '{"queue": "all",\n "ring-size": 1000}\n' >fx/ring.json
printf '[1, 2]\n' >fx/array.json
printf '{"quick": "yes"}\n' >fx/flag.json
printf '{"events": 1, "events": 2}\n' >fx/dup.json
printf '{"topology": []}\n' >fx/empty.json
printf '{"topology": ["unicast", "fanout(stage, stage(work=1x))"]}\n' >fx/expr.json
printf '{"events": -5}\n' >fx/negative.json
printf '{"placement": ["os", "cpus:4000"]}\n' >fx/cpu.json
printf '{"wait": [["spin"]]}\n' >fx/nested.json
printf '{"out": "x"}\n' >fx/outkey.json
printf '' >fx/blank.json
python3 -c 'print("[" + ",".join(["{}"] * 1001) + "]")' >fx/many.json
printf '{"topology": "unicast", "events": "1K"}\n' >fx/good.json
mkdir -p fx/nometa fx/badmeta fx/badrows fx/existing
printf '{"matrix": ' >fx/badmeta/meta.json
printf '{"matrix": {"topology": ["unicast"], "events": [1000]}}\n' >fx/badrows/meta.json
printf '{"cell": "x", "rep": 0}\nnot json at all\n{"cell": "y"}\n' >fx/badrows/results.jsonl
printf 'keep me\n' >fx/existing/file
mkdir -p fx/matrix5
# Damaged rows a reader must refuse naming the line: a rep given twice, impossible numbers.
row=$(head -1 "$here/../fixtures/results-small/results.jsonl")
for d in duprows negrows hugerows; do
  mkdir -p fx/$d && cp fx/badrows/meta.json fx/$d/
done
printf '%s\n%s\n' "$row" "$row" >fx/duprows/results.jsonl
printf '%s\n' "$row" | sed 's/"throughput_eps": *[0-9.e+]*/"throughput_eps": -5/' >fx/negrows/results.jsonl
printf '%s\n%s\n' "$row" "$(printf '%s' "$row" | sed 's/"elapsed_s": *[0-9.e+-]*/"elapsed_s": 1e308/; s/"rep": *0/"rep": 1/')" >fx/hugerows/results.jsonl
printf '{"matrix": 5}\n' >fx/matrix5/meta.json

snapshot() { (cd "$work" && find . -path ./stderr -prune -o -print | sort && cat fx/existing/file) ; }

# expected phrase | arguments (shell words) | lines on stderr (default 1: a topology expression's
# error is its line, the expression, and a caret line under the offending token)
cases=$(cat <<'TABLE'
unknown topology 'diamnd'|run -t diamnd -o out
unknown queue kind 'ringg'|run -q ringg -o out
wait strategy 'sleeping': unknown name 'sleeping'|run -w sleeping -o out
phased|run -w phased:spin=5parsecs -o out
index 7 out of range (accepted: 1..6)|run -t broker --opt-out reader:7@30% -o out
130% is over 100%|run -t broker --opt-out reader:2@130% -o out
range 64-1 is empty or backwards|run -t broker --batch 64-1 -o out
larger than --ring-size|run -t broker --batch 1-64 --ring-size 32 -o out
too large|run -t broker --readers 17 -o out
phased|run -w block,phased:spin=5us,warp=3 -o out
unknown placement|run -p os,spred -o out
unknown memory policy|run -m remote -o out
not a power of two|run --ring-size 1000 -o out
is zero|run -n 0 -o out
too large|run -n 100G -o out
is zero|run -r 0 -o out
too large|run --reps 100000 -o out
not a count|run -n abc -o out
not a count|run -n 1.5M -o out
4000|run -p cpus:4000 -o out
CPU number|run -p cpus:0-x -o out
NUMA node 63|run -m node:63 -o out
too large|run --fanout 17 -o out
not a power of two|run --shards 3 -o out
too small|run --payload 4 -o out
larger than --ring-size|run --batch 2048 --ring-size 1024 -o out
is zero|run --timeout 0 -o out
not a count|run --rate -5 -o out
unknown option|run --bogus -o out
unexpected argument 'extra'|run extra -o out
needs a value|run -o out -t
empty value|run -t '' -o out
empty value|run --resume ''
empty value|run --resume=
empty value|run --matrix '' -t unicast -o out
empty value|run -t unicast -o ''
empty value|run -t unicast --ring-size= -o out
bad list 'unicast,'|run -t unicast, -o out
bad list ',unicast'|run -t ,unicast -o out
bad list 'unicast,,diamond'|run -t unicast,,diamond -o out
unknown queue kind 'ring\x0ax'|run -q $'ring\nx' -o out
unknown queue kind 'x\x1b]0;owned\x07\x1b[2J'|run -q $'x\e]0;owned\a\e[2J' -o out
unknown combinator 'x'|run -t $'x\e]0;owned\a\e[2J' -o out
cannot create: Not a directory|run -t unicast -o fx/existing/file/sub
damaged matrix in meta.json: "matrix" is not a JSON object or array|run --resume fx/matrix5
exists|run -t unicast -o fx/existing
cannot open|run --matrix fx/missing.json -o out
fx/syntax.json:1:|run --matrix fx/syntax.json -o out
fx/unknown_key.json:3:3: unknown key "fanuot"|run --matrix fx/unknown_key.json -o out
fx/ring.json:2:2: "ring-size": 1000 is not a power of two|run --matrix fx/ring.json -o out
must be a JSON object|run --matrix fx/array.json -o out
expected true or false|run --matrix fx/flag.json -o out
duplicate|run --matrix fx/dup.json -o out
empty list|run --matrix fx/empty.json -o out
negative|run --matrix fx/negative.json -o out
4000|run --matrix fx/cpu.json -o out
not a string or a count|run --matrix fx/nested.json -o out
unknown key "out"|run --matrix fx/outkey.json -o out
malformed matrix|run --matrix fx/blank.json -o out
an array of 1001 matrices (accepted: at most 1000)|run --matrix fx/many.json -o out
cells (accepted: at most 10000|run -t all -q all -w all -n 1K,2K,3K,4K,5K,6K,7K,8K,9K,10K --batch 1,2,4,8,16,32,64,128 --work 0,1,2,3,4,5,6,7,8,9 -o out
unknown topology 'nope'|run --matrix fx/good.json -t nope -o out
shard count must be a power of two: 3|run -t 'seq(stage, shard(stage, 3))' -o out|3
unknown combinator|run -t 'unicast,seq(stage, stag)' -o out|3
unknown unit|run --matrix fx/expr.json -o out|3
no such directory|run --resume fx/absent
no meta.json|run --resume fx/nometa
meta.json|run --resume fx/badmeta
damaged results|run --resume fx/badrows
takes no other options|run --resume fx/badrows -t diamond
results.jsonl line 2: rep 0 of cell|run --resume fx/duprows
line 1: field 'throughput_eps' is -5|run --resume fx/negrows
line 2: field 'elapsed_s' is 1e+308|run --resume fx/hugerows
unknown command 'frobnicate'|frobnicate
unknown argument '--xml'|info --xml
unexpected argument 'extra'|list extra
unknown command 'nope'|help nope
shard count must be a power of two: 3|describe 'seq(stage, shard(stage, 3))'|3
unknown topology 'nope'|describe nope
no topology given|describe
more than one|describe unicast diamond
out of range|describe --fanout 17 fanout
unknown option '--svg'|describe --svg unicast
unexpected argument '--grammer'|list --grammer
TABLE
)

# report/compare join the table once they are built in (they exit 2 on damaged results).
if "$qtopo" report --help >/dev/null 2>&1; then
  cases+=$'\n''results|report fx/badrows'
  cases+=$'\n''results|report fx/absent'
fi
if "$qtopo" compare --help >/dev/null 2>&1; then
  cases+=$'\n''results|compare fx/badrows fx/badrows'
  cases+=$'\n''fx/absent|compare fx/absent fx/badrows'
  cases+=$'\n''no meta.json|compare fx/nometa fx/badrows'
  cases+=$'\n''line 2: rep 0 of cell|compare fx/duprows fx/badrows'
  cases+=$'\n''elapsed_s|compare fx/hugerows fx/negrows'
  cases+=$'\n''line 2: rep 0 of cell|report fx/duprows -o rpt'
  cases+=$'\n''field '"'"'throughput_eps'"'"' is -5|report fx/negrows -o rpt'
  cases+=$'\n''--json fx/badrows/meta.json: exists|compare fx/badrows fx/badrows --json fx/badrows/meta.json'
  cases+=$'\n''--markdown fx/existing/file: exists|compare fx/badrows fx/badrows --markdown fx/existing/file'
  cases+=$'\n''--json= needs a value|compare fx/badrows fx/badrows --json='
  cases+=$'\n''both x.out|compare fx/badrows fx/badrows --json x.out --markdown x.out'
  cases+=$'\n''needs a directory|report fx/badrows --out='
fi

# A read-only parent (root may write anywhere: then there is nothing to test).
mkdir -p fx/readonly && chmod 555 fx/readonly
cp -r "$here/../fixtures/results-small" fx/goodres
if [ "$(id -u)" -ne 0 ]; then
  cases+=$'\n''cannot create: Permission denied|run -t unicast -o fx/readonly/out'
  "$qtopo" report --help >/dev/null 2>&1 && cases+=$'\n''Permission denied|report fx/goodres -o fx/readonly/rpt'
fi

before=$(snapshot)
n=0
fails=0
while IFS='|' read -r phrase args want_lines; do
  [ -n "$args" ] || continue
  want_lines=${want_lines:-1}
  n=$((n + 1))
  eval "set -- $args"
  "$qtopo" "$@" >stdout 2>stderr
  rc=$?
  msg=$(cat stderr)
  lines=$(grep -c '' stderr)
  problem=""
  [ $rc -eq 2 ] || problem="exit $rc, expected 2"
  [ -z "$problem" ] && ! grep -qF -- "$phrase" stderr && problem="stderr lacks '$phrase'"
  [ -z "$problem" ] && [ "$lines" -ne "$want_lines" ] && problem="$lines lines on stderr, expected $want_lines"
  [ -z "$problem" ] && [ "$want_lines" -eq 3 ] && ! sed -n 3p stderr | grep -qE '^ +\^+$' &&
    problem="no caret line"
  [ -z "$problem" ] && [ -s stdout ] && problem="something on stdout"
  # Every message is one printable line, whatever bytes the user gave (no raw ESC, BEL, CR).
  [ -z "$problem" ] && tr -d '\n' <stderr | LC_ALL=C grep -q '[^[:print:]]' && problem="unprintable bytes on stderr"
  rm -f stdout stderr
  [ -z "$problem" ] && [ -e out ] && problem="created ./out"
  [ -z "$problem" ] && [ -e results ] && problem="created ./results"
  [ -z "$problem" ] && [ "$(snapshot)" != "$before" ] && problem="changed files: $(diff <(echo "$before") <(snapshot) | tr '\n' ' ')"
  if [ -n "$problem" ]; then
    echo "FAIL [$n] qtopo $args: $problem"
    echo "     stderr: $msg"
    fails=$((fails + 1))
    rm -rf out results
  else
    echo "ok   [$n] qtopo $args -> $msg"
  fi
done <<<"$cases"

echo "$n cases, $fails failed"
[ "$n" -ge 25 ] || { echo "FAIL: the table must have at least 25 cases"; exit 1; }
[ $fails -eq 0 ]
