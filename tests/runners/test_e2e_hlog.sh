#!/bin/bash
# test_e2e_hlog.sh - the run's hist/<cell>.hlog read by HdrHistogram's own Java library
# (HistogramLogReader; Debian libhdrhistogram-java): for every rep, its tag's intervals added up
# must give the count, p50, p99, p99.9 and max its row in results.jsonl says. Then the same with
# the sampler off (--sample-ms 0): one interval per rep. Exit 77 without java, javac or the jar.
source "$(dirname "$0")/test_e2e_lib.sh"
jar=${QTOPO_HDRHISTOGRAM_JAR:-/usr/share/java/hdrhistogram.jar}
for tool in java javac; do
  command -v $tool >/dev/null || { echo "SKIP: no $tool (default-jdk-headless)"; exit 77; }
done
[ -r "$jar" ] || { echo "SKIP: no $jar (libhdrhistogram-java)"; exit 77; }
javac -nowarn -cp "$jar" -d "$work" "$here/../results/java/HlogTags.java" 2>javac.err ||
  die "javac HlogTags failed: $(head -3 javac.err)"

for ms in 5 0; do
  "$qtopo" run -t pipeline,fanout -q ring,mutex-array -w block -p os -n 60000 -r 2 \
    --sample-ms $ms -o run$ms >run$ms.out 2>run$ms.err || die "run --sample-ms $ms failed"
  check run$ms
  python3 - "$work/run$ms" "$ms" "$jar" "$work" <<'PY' || exit 1
import json, os, subprocess, sys
d, ms, jar, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
logs = {}
for r in rows:
    if r["status"] != "ok":
        continue
    if not r.get("hlog"):
        sys.exit(f"FAIL: {r['cell']} rep {r['rep']}: no hlog")
    logs.setdefault(r["hlog"], []).append(r)
if len(logs) != 4:
    sys.exit(f"FAIL: {len(logs)} .hlog files for 4 cells")
for rel, rs in logs.items():
    out = subprocess.run(["java", "-cp", f"{jar}:{work}", "HlogTags", os.path.join(d, rel)],
                         capture_output=True, text=True, timeout=120)
    if out.returncode:
        sys.exit(f"FAIL: HistogramLogReader on {rel}: {out.stderr.strip()[:400]}")
    tags = {}
    for line in out.stdout.split("\n"):
        if line.strip():
            f = line.split()
            tags[f[0]] = [int(x) for x in f[1:]]
    for r in rs:
        t = tags.get(f"rep{r['rep']}")
        if t is None:
            sys.exit(f"FAIL: {rel}: no tag rep{r['rep']} (tags: {sorted(tags)})")
        n, got = t[0], t[1:]
        lat = r["latency_ns"]
        want = [lat[k] for k in ("count", "p50", "p99", "p999", "max")]
        if got != want:
            sys.exit(f"FAIL: {rel} rep{r['rep']}: Java count/p50/p99/p99.9/max {got}, "
                     f"results.jsonl {want}")
        if ms == 0 and n != 1:
            sys.exit(f"FAIL: {rel} rep{r['rep']}: {n} intervals without the sampler, not 1")
        if ms and n < 2:
            print(f"note: {rel} rep{r['rep']}: one interval only (a rep shorter than {ms} ms)")
print(f"--sample-ms {ms}: {sum(len(v) for v in logs.values())} reps agree with HdrHistogram's reader")
PY
done
echo ok
