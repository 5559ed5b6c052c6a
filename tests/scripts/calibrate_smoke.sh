#!/usr/bin/env bash
# scripts/calibrate --quick against this build's qtopo and the real JDK and Disruptor jar: the run
# exits 0, prints a row per shape x queue x wait, and its JSON has, for every row that ran, both
# sides' events/s in every round and a finite positive ratio; skipped rows (busy-spin with more
# threads than PUs) carry qtopo's reason; pingpong rows also carry both sides' median and raw round
# trips, and a second table shows them. Exits 77 with the reason when Java or the jar is missing.
# Usage: calibrate_smoke.sh CALIBRATE QTOPO WORKDIR
set -u
calibrate=${1:?usage: $0 CALIBRATE QTOPO WORKDIR}
qtopo=${2:?usage: $0 CALIBRATE QTOPO WORKDIR}
dir=${3:?usage: $0 CALIBRATE QTOPO WORKDIR}
jar=/usr/share/java/disruptor.jar
for tool in java javac; do
  command -v $tool >/dev/null || { echo "skip: '$tool' not found (Debian package default-jdk-headless; scripts/setup --calibrate)"; exit 77; }
done
[ -r "$jar" ] || { echo "skip: $jar not found (Debian package libdisruptor-java; scripts/setup --calibrate)"; exit 77; }

rm -rf "$dir" && mkdir -p "$dir" || exit 1
out=$dir/calibrate.json
die() {
  echo "FAIL: $*"
  echo "--- stderr"; tail -40 "$dir/stderr"
  echo "--- stdout"; cat "$dir/stdout"
  exit 1
}

# The Java classes go into WORKDIR (never the source tree); qtopo is this build's.
"$calibrate" --no-setup --quick --qtopo "$qtopo" --build-dir "$dir/build" -o "$out" >"$dir/stdout" 2>"$dir/stderr"
rc=$?
[ $rc -eq 0 ] || die "scripts/calibrate --quick exited $rc"
[ -f "$out" ] || die "no $out"
[ -f "$dir/build/calibrate-java/Calibrate.class" ] || die "Calibrate.java was not compiled into --build-dir"

# The JSON: the format, the machine, the versions, and each row's numbers.
jq -e '
  def pos: type == "number" and . > 0 and . < 1e300;
  .format == "qtopo-calibrate/1" and (.machine.pus | pos) and .java.disruptor == "3.4.4"
  and (.java.jvm | length > 0) and (.qtopo.git_commit | length > 0) and .options.rounds == 2
  and ([.rows[] | .shape] | unique) == ["diamond", "fanout", "pingpong", "pipeline", "sequencer", "unicast"]
  and (.rows | length) == 24
  and all(.rows[]; .status == "ok" or (.status == "skipped" and (.reason | test("spin with"))))
  and any(.rows[]; .status == "ok")
  and all(.rows[] | select(.status == "ok");
          (.rounds | length) == 2
          and all(.rounds[]; (.qtopo.eps | pos) and (.java.eps | pos) and .qtopo.row.verified == true
                  and ([.java.passes[] | select(.kind == "measured")] | length) == 1)
          and (.qtopo_eps.median | pos) and (.java_eps.median | pos)
          and (.ratio.median | pos) and (.ratio.min | pos) and (.ratio.max | pos) and .ratio.n == 2
          and .ratio.min <= .ratio.median and .ratio.median <= .ratio.max)
  and all(.rows[] | select(.shape == "sequencer"); .events == 19998)
  and all(.rows[] | select(.status == "ok" and .shape != "pingpong"); .round_trip == null)
  and all(.rows[] | select(.status == "ok" and .shape == "pingpong");
          all(.round_trip[]; (.median | pos) and .n == 2)
          and all(.rounds[]; (.qtopo.p50_ns | pos) and (.qtopo.raw_p50_ns | pos)
                  and (.java.p50_ns | pos) and (.java.raw_p50_ns | pos)))
  and any(.rows[]; .status == "ok" and .shape == "pingpong")' "$out" >/dev/null ||
  die "the JSON is missing something: $(jq -c '[.rows[] | {shape, queue, wait, status, reason, ratio}]' "$out")"

# The table: a header and one line per row; ok rows show both numbers and a ratio, skipped
# rows their reason.
header=$(grep -c '^shape .*qtopo ev/s.*java ev/s.*ratio' "$dir/stdout")
[ "$header" -eq 1 ] || die "no table header"
ok_rows=$(jq '[.rows[] | select(.status == "ok")] | length' "$out")
skipped_rows=$(jq '[.rows[] | select(.status == "skipped")] | length' "$out")
ok_lines=$(grep -cE '^(unicast|pipeline|sequencer|fanout|diamond|pingpong) +(ring/[a-z]+|mutex-array) +.* [0-9.]+[KMG]? +\(.*\) +[0-9.]+[KMG]? +\(.*\) +[0-9]+\.[0-9]{2} +\([0-9.]+-[0-9.]+\) +2$' "$dir/stdout")
skip_lines=$(grep -cE '^(unicast|pipeline|sequencer|fanout|diamond|pingpong) +ring/spin +.* skipped: spin with' "$dir/stdout")
[ "$ok_lines" -eq "$ok_rows" ] || die "table: $ok_lines lines with numbers, the JSON has $ok_rows ok rows"
[ "$skip_lines" -eq "$skipped_rows" ] || die "table: $skip_lines skipped lines, the JSON has $skipped_rows"
# The round-trip table: a header and one line per pingpong row that ran.
pp_rows=$(jq '[.rows[] | select(.status == "ok" and .shape == "pingpong")] | length' "$out")
grep -q '^pingpong p50 (ns) .*qtopo .*raw .*/raw .*java .*raw .*/raw .*rounds$' "$dir/stdout" || die "no round-trip table"
pp_lines=$(grep -cE '^(ring/[a-z]+|mutex-array) +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]{2} +[0-9]+ +[0-9]+ +[0-9]+\.[0-9]{2} +2$' "$dir/stdout")
[ "$pp_lines" -eq "$pp_rows" ] || die "round-trip table: $pp_lines lines, the JSON has $pp_rows pingpong rows"
grep -q "^calibration: $out\$" "$dir/stdout" || die "the table does not say where the JSON went"
echo "ok: $ok_rows rows with both numbers and finite positive ratios, $skipped_rows skipped with the reason"
