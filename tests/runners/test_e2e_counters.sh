#!/bin/bash
# test_e2e_counters.sh - kernel event counters in the rows of a real run: a blocking cell with all
# its threads on one CPU must context-switch (context_switches > 0 over the window); events that
# cannot be counted are null with the reason, never 0; --counters none counts nothing.
# Exit 77 when this kernel lets nobody count context switches (perf_event_paranoid).
source "$(dirname "$0")/test_e2e_lib.sh"

run() { # DIR MODE
  "$qtopo" run -t unicast -q mutex-array -p cpus:0 -n 20000 -r 2 --counters "$2" -o "$1" \
    >"$1.out" 2>"$1.err" || die "run --counters $2 failed"
}
run sw sw
run all all
run none none
check sw
python3 - "$work" <<'PY' || exit $?
import json, os, sys
work = sys.argv[1]
keys = ("cycles", "instructions", "cache_references", "cache_misses", "llc_misses",
        "branch_misses", "context_switches", "cpu_migrations", "page_faults")
hardware = keys[:6]
def rows(d):
    return [json.loads(l) for l in open(os.path.join(work, d, "results.jsonl"))]
def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)
def check_event(r, k, d):
    e = r["counters"].get(k)
    if e is None:
        fail(f"{d} rep {r['rep']}: no counter {k}")
    if e["value"] is None:
        if not e["unavailable"] or e["per_event"] is not None:
            fail(f"{d}: {k} is null without a reason: {e}")
    elif e["unavailable"] or not isinstance(e["value"], (int, float)) or e["value"] < 0:
        fail(f"{d}: {k} has both a value and a reason, or a bad value: {e}")
    return e
for r in rows("sw"):
    if r["status"] != "ok" or r["counters"]["mode"] != "sw":
        fail(f"sw: rep {r['rep']} {r['status']} mode {r['counters']['mode']}: {r['reason']}")
    for k in keys:
        e = check_event(r, k, "sw")
        if k in hardware and e["value"] is not None:
            fail(f"sw counted the hardware event {k}")
    cs = r["counters"]["context_switches"]
    if cs["value"] is None:
        print("SKIP: context switches cannot be counted here:", cs["unavailable"])
        sys.exit(77)
    if not cs["value"] > 0:
        fail(f"sw: a blocking cell with both threads on CPU 0 had {cs['value']} context switches")
    if abs(cs["per_event"] * r["params"]["events"] - cs["value"]) > 1e-6 * cs["value"] + 1e-9:
        fail(f"sw: per_event {cs['per_event']} is not value / events")
unavailable = 0
for r in rows("all"):
    for k in keys:
        unavailable += check_event(r, k, "all")["value"] is None
print(f"all: {unavailable} event values unavailable (with their reason)")
for r in rows("none"):
    if r["counters"]["mode"] != "none":
        fail(f"none: mode {r['counters']['mode']}")
    for k in keys:
        e = r["counters"][k]
        if e["value"] is not None or not e["unavailable"]:
            fail(f"none: {k} = {e}")
PY
echo "ok"
