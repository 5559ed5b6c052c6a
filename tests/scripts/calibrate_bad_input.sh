#!/usr/bin/env bash
# scripts/calibrate's bad input, table-driven: each command line must exit 2 with one line on
# stderr containing the expected phrase, and write nothing (an existing --out stays as it was).
# Needs no Java: the arguments are checked before anything is installed, built or run.
# Usage: calibrate_bad_input.sh CALIBRATE QTOPO
set -u
calibrate=${1:?usage: $0 CALIBRATE QTOPO}
qtopo=${2:?usage: $0 CALIBRATE QTOPO}
calibrate=$(cd "$(dirname "$calibrate")" && pwd)/$(basename "$calibrate")
qtopo=$(cd "$(dirname "$qtopo")" && pwd)/$(basename "$qtopo")
work=$(mktemp -d /tmp/qtopo-calibrate-bad.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
printf 'keep me\n' >existing.json
mkdir lone && cp "$qtopo" lone/qtopo # a qtopo without qtopo-bench-queues beside it
snapshot() { find . -path ./stderr -prune -o -print | sort; cat existing.json; }
before=$(snapshot)

# expected phrase | arguments after --no-setup --qtopo QTOPO (shell words)
cases=$(cat <<'TABLE'
--shapes: unknown name 'unicst' (accepted: unicast,pipeline,sequencer,fanout,diamond,pingpong, all)|-s unicst -o a.json
--waits: unknown name 'spinn'|-w yield,spinn -o a.json
--queues: unknown name 'abq' (accepted: ring,mutex-array, all)|-q ring,abq -o a.json
--shapes: empty list|-s '' -o a.json
--events '0': out of range (accepted: 1 to 10000000000, lmax)|--events 0 -o a.json
-n '12x': not a count (accepted: 1 to 10000000000 with K/M/G suffixes, lmax)|-n 12x -o a.json
-n '20G': out of range|-n 20G -o a.json
-n 'LMAX': not a count|-n LMAX -o a.json
-r '0': out of range (accepted: 1 to 100)|-r 0 -o a.json
--rounds '-3': not a count|--rounds -3 -o a.json
--rounds '1.5': not a count|--rounds 1.5 -o a.json
--java-warmup '101': out of range (accepted: 0 to 100)|--java-warmup 101 -o a.json
--time-limit '0': out of range|--time-limit 0 -o a.json
exists (give a new path)|-o existing.json
exists (give a new path)|--quick -o existing.json
unknown option '--bogus'|--bogus -o a.json
option '--rounds' needs a value|-o a.json --rounds
the sequencer needs at least 3|-n 2 -s sequencer -o a.json
--qtopo '/nonexistent/qtopo' is not an executable file|--qtopo /nonexistent/qtopo -o a.json
pingpong times a raw round trip with qtopo-bench-queues, which is not next to|-s unicast,pingpong --qtopo lone/qtopo -o a.json
TABLE
)

fails=0
while IFS='|' read -r phrase args; do
  [ -n "$phrase" ] || continue
  eval "set -- $args"
  "$calibrate" --no-setup --qtopo "$qtopo" "$@" >stdout 2>stderr
  rc=$?
  lines=$(grep -c '' stderr)
  if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$phrase" stderr || [ -s stdout ]; then
    echo "FAIL: calibrate $args: exit $rc, $lines stderr line(s), expected exit 2 and one line with: $phrase"
    sed 's/^/  stderr: /' stderr
    fails=$((fails + 1))
  fi
  rm -f stdout stderr
  if [ "$(snapshot)" != "$before" ]; then
    echo "FAIL: calibrate $args wrote something:"
    diff <(echo "$before") <(snapshot)
    fails=$((fails + 1))
  fi
done <<<"$cases"
[ $fails -eq 0 ] && echo "ok: every bad command line exits 2 with one line and writes nothing"
[ $fails -eq 0 ]
