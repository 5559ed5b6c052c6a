#!/usr/bin/env python3
"""Check a qtopo results directory against the results format: meta.json, results.jsonl,
summary.csv and hist/<cell>.hgrm present and well-formed, with the fields the contract names.

usage: test_e2e_check.py DIR [--all-ok] [--complete] [--failed PHRASE] [--min-skipped N]
  --all-ok        every rep that ran is ok and verified
  --complete      every cell of meta.json has its rows exactly once (reps 0..R-1; 1 if skipped)
  --failed PHRASE some rep failed, and every failed rep's reason contains PHRASE
  --min-skipped N at least N skipped cells, each with a reason
Exit 0 when everything holds; otherwise one line per problem and exit 1.
"""
import argparse
import csv
import json
import math
import os
import sys

problems = []


def bad(msg):
    problems.append(msg)


def need(obj, key, types, where):
    if key not in obj:
        bad(f"{where}: missing '{key}'")
        return None
    v = obj[key]
    if not isinstance(v, types) or (isinstance(v, bool) and bool not in _tuple(types)):
        bad(f"{where}: '{key}' has type {type(v).__name__}")
        return None
    return v


def _tuple(t):
    return t if isinstance(t, tuple) else (t,)


NUM = (int, float)
NUM_OR_NULL = (int, float, type(None))


def check_meta(d):
    path = os.path.join(d, "meta.json")
    try:
        meta = json.load(open(path))
    except Exception as e:  # noqa: BLE001
        bad(f"meta.json: {e}")
        return None
    w = "meta.json"
    for k in ("start_time", "compiler", "compiler_flags", "git_commit", "qtopo_version"):
        need(meta, k, str, w)
    need(meta, "command_line", list, w)
    clock = need(meta, "clock", dict, w)
    if clock is not None:
        src = need(clock, "source", str, w + " clock")
        if src not in ("tsc", "clock_monotonic"):
            bad(f"{w}: clock source {src!r}")
    m = need(meta, "machine", dict, w)
    if m is not None:
        for k in ("cpu_model", "kernel", "hostname"):
            need(m, k, str, w + " machine")
        for k in ("packages", "cores", "pus", "numa_nodes"):
            need(m, k, int, w + " machine")
        need(m, "nodes", list, w + " machine")
        need(m, "hwloc_xml", str, w + " machine")
        if "distances" not in m:
            bad(f"{w}: machine lacks 'distances'")
        if "governor" not in m:
            bad(f"{w}: machine lacks 'governor'")
    mx = need(meta, "matrix", (dict, list), w)
    for part in (mx if isinstance(mx, list) else [mx] if mx is not None else []):
        for k in ("topology", "queue", "wait", "placement", "memory", "events", "ring-size"):
            need(part, k, list, w + " matrix")
        need(part, "reps", int, w + " matrix")
    cells = need(meta, "cells", list, w)
    if cells is not None:
        ids = [c.get("cell") for c in cells]
        if len(set(ids)) != len(ids):
            bad(f"{w}: duplicate cell ids")
    # The registries the report orders and groups by: every queue kind names a known family.
    reg = need(meta, "registries", dict, w)
    if reg is not None:
        for k in ("topologies", "families", "queues", "waits", "placements"):
            need(reg, k, list, w + " registries")
        families = [f.get("name") for f in reg.get("families", [])]
        for q in reg.get("queues", []):
            if q.get("family") not in families or not isinstance(q.get("uses_wait"), bool):
                bad(f"{w}: registries: queue kind {q!r} has no known family or wait axis")
    # What makes numbers move: each fact known, or unknown with a reason (never guessed).
    st = need(meta, "machine_state", dict, w)
    if st is not None:
        for k in ("governor_cpus", "turbo", "smt_control", "isolated", "thp_enabled", "vm",
                  "load1"):
            if k == "governor_cpus":
                for c in need(st, "cpus", list, w + " machine_state") or []:
                    unknown_or(c.get("governor"), str, w + f" machine_state cpu {c.get('cpu')}")
                continue
            unknown_or(st.get(k), (str, bool, NUM), w + f" machine_state {k}")
        unknown_or(st.get("mitigations"), dict, w + " machine_state mitigations")
        need(st, "warnings", list, w + " machine_state")
        need(st, "load_warn", NUM, w + " machine_state")
    return meta


def unknown_or(v, types, where):
    """A machine-state fact: its value, or {"unknown": "<why>"} with a reason."""
    if isinstance(v, dict) and "unknown" in v:
        if not isinstance(v["unknown"], str) or not v["unknown"]:
            bad(f"{where}: unknown without a reason")
    elif not isinstance(v, types):
        bad(f"{where}: {v!r} is neither a value nor unknown with a reason")


ROW_KEYS = {
    "cell": str, "topology": str, "topology_expr": str, "queue": str, "wait": str, "placement": str, "memory": str,
    "params": dict, "rep": int, "status": str, "reason": str, "verified": bool,
    "oversubscribed": bool, "throughput_eps": NUM_OR_NULL, "elapsed_s": NUM_OR_NULL,
    "latency_ns": dict, "alloc": dict, "cpu": dict, "rss_peak_kb": int, "threads": list,
    "buffer_nodes": list,
}
PARAM_KEYS = ("events", "ring_size", "batch", "payload", "work_ns", "fanout", "shards", "stages",
              "rate")
LAT_KEYS = ("count", "mean", "p50", "p90", "p99", "p999", "p9999", "max")
ALLOC_KEYS = ("calls", "bytes", "frees", "per_event", "bytes_per_event")
CPU_KEYS = ("user_s", "sys_s", "voluntary_cs", "involuntary_cs")


def check_rows(d):
    rows = []
    path = os.path.join(d, "results.jsonl")
    try:
        text = open(path).read()
    except OSError as e:
        bad(f"results.jsonl: {e}")
        return rows
    if text and not text.endswith("\n"):
        bad("results.jsonl: last line unterminated")
    for i, line in enumerate(text.splitlines(), 1):
        w = f"results.jsonl line {i}"
        try:
            r = json.loads(line)
        except ValueError as e:
            bad(f"{w}: {e}")
            continue
        for k, t in ROW_KEYS.items():
            need(r, k, t, w)
        for k in PARAM_KEYS:
            need(r.get("params", {}), k, NUM, w + " params")
        for k in LAT_KEYS:
            need(r.get("latency_ns", {}), k, NUM_OR_NULL, w + " latency_ns")
        for k in ALLOC_KEYS:
            need(r.get("alloc", {}), k, NUM_OR_NULL, w + " alloc")
        for k in CPU_KEYS:
            need(r.get("cpu", {}), k, NUM, w + " cpu")
        for t in r.get("threads", []):
            need(t, "role", str, w + " thread")
            need(t, "cpu_wanted", int, w + " thread")
            need(t, "cpus_seen", list, w + " thread")
            need(t, "node", int, w + " thread")
        if r.get("status") not in ("ok", "failed", "skipped"):
            bad(f"{w}: status {r.get('status')!r}")
        rows.append(r)
    return rows


def check_ok_row(r, meta):
    w = f"{r['cell']} rep {r['rep']}"
    if not r["verified"]:
        bad(f"{w}: ok but not verified")
    thr = r["throughput_eps"]
    if not isinstance(thr, NUM) or not thr > 0 or math.isinf(thr):
        bad(f"{w}: throughput {thr!r}")
    el = r["elapsed_s"]
    if not isinstance(el, NUM) or not el > 0:
        bad(f"{w}: elapsed {el!r}")
    lat = r["latency_ns"]
    if meta.get("latency_recording", True):
        if lat["count"] < r["params"]["events"] * 0.99:
            bad(f"{w}: latency count {lat['count']} < events {r['params']['events']}")
        seq = [lat[k] for k in ("p50", "p90", "p99", "p999", "p9999", "max")]
        if seq != sorted(seq) or seq[0] <= 0:
            bad(f"{w}: latency percentiles not increasing: {seq}")
        if not r.get("hist"):
            bad(f"{w}: no hist file")
        # The stamp groups' span (the bound on each latency's overstatement): measured by a
        # saturated ring with one producer, null elsewhere.
        sm, sx = lat.get("stamp_mean"), lat.get("stamp_max")
        grouped = (r["queue"] == "ring" and r["params"]["rate"] == 0 and
                   r["topology"] in ("unicast", "pipeline", "fanout", "diamond", "shard"))
        if isinstance(sm, NUM) != isinstance(sx, NUM):
            bad(f"{w}: stamp_mean {sm!r}, stamp_max {sx!r}")
        elif isinstance(sm, NUM):
            if not (r["queue"] == "ring" and r["params"]["rate"] == 0) or not 0 <= sm <= sx:
                bad(f"{w}: stamp span mean {sm} max {sx} (queue {r['queue']}, rate "
                    f"{r['params']['rate']})")
        elif grouped:
            bad(f"{w}: a saturated ring with one producer and no stamp span")
    if len(r["threads"]) < 2:
        bad(f"{w}: {len(r['threads'])} thread records")
    for t in r["threads"]:
        if not t["role"]:
            bad(f"{w}: a thread without a role")
        if not t["cpus_seen"]:
            bad(f"{w}: thread {t['role']} was never seen on a CPU")
        if t["cpu_wanted"] >= 0 and t["cpus_seen"] != [t["cpu_wanted"]]:
            bad(f"{w}: thread {t['role']} wanted CPU {t['cpu_wanted']}, seen {t['cpus_seen']}")
    # Batching figures per stage instance; the auxiliary threads that shared the measured PUs
    # (none only when every thread was bound: an unbound one may run anywhere).
    for s in r.get("stages", []):
        if not s["role"] or not 1 <= s["batches"] <= s["events"]:
            bad(f"{w}: stage batching {s}")
        if abs(s["mean_batch"] * s["batches"] - s["events"]) > 1e-6 * s["events"]:
            bad(f"{w}: stage {s['role']} mean batch {s['mean_batch']} != events / batches")
    if not r.get("stages"):
        bad(f"{w}: no stage batching figures")
    aux = r.get("aux_shared")
    if not isinstance(aux, list) or any(a not in ("sampler", "watchdog") for a in aux):
        bad(f"{w}: aux_shared {aux!r}")
    elif not aux and any(t["cpu_wanted"] < 0 for t in r["threads"]):
        bad(f"{w}: unbound threads, yet no auxiliary thread shared their PUs")
    # The series sampler's period: the matrix's --sample-ms, or under auto 10 ms, and 100 ms in
    # a paced rep whose watchdog (the sampler's thread) shared the measured PUs. A row does not
    # say which part of a matrix it came from: checked where every part agrees.
    mx = meta.get("matrix")
    periods = {p.get("sample-ms") for p in (mx if isinstance(mx, list) else [mx])}
    if len(periods) == 1 and isinstance(aux, list):
        given = periods.pop()
        want = given
        if given == "auto":
            want = 100 if r["params"]["rate"] > 0 and "watchdog" in aux else 10
        got = (r.get("series") or {}).get("period_ms")
        if got != want:
            bad(f"{w}: series period {got!r} ms, expected {want!r} (--sample-ms {given})")
    if not r["buffer_nodes"] and r["queue"] != "mutex-linked":  # linked: no preallocated buffer
        bad(f"{w}: buffer_nodes empty")
    if meta.get("alloc_counting"):
        a = r["alloc"]
        if r["queue"] == "mutex-linked":
            if not a["per_event"] >= 1.0:
                bad(f"{w}: mutex-linked allocates {a['per_event']} per event, expected >= 1")
        elif a["per_event"] >= 0.001:  # "0 in steady state": a stray start-up call is not per event
            bad(f"{w}: {r['queue']} allocated {a['per_event']} per event in the measured window")
    if r["cpu"]["user_s"] + r["cpu"]["sys_s"] < 0:
        bad(f"{w}: negative CPU time")
    load = r.get("load", {})
    for k in ("start_1m", "end_1m"):
        if not isinstance(load.get(k), NUM) and not load.get("unknown"):
            bad(f"{w}: load {k} neither a number nor unknown with a reason: {load!r}")
    if r["rss_peak_kb"] <= 0:
        bad(f"{w}: rss_peak_kb {r['rss_peak_kb']}")


def check_hgrm(d, rel, w):
    path = os.path.join(d, rel)
    try:
        lines = open(path).read().splitlines()
    except OSError as e:
        bad(f"{w}: {e}")
        return
    if not lines or lines[0].split() != ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"]:
        bad(f"{w}: {rel}: not an HdrHistogram percentile file (header {lines[:1]})")
        return
    data = [line.split() for line in lines[1:] if line.strip() and not line.startswith("#")]
    pct = []
    for f in data:
        try:
            pct.append(float(f[1]))
        except (ValueError, IndexError):
            bad(f"{w}: {rel}: bad line {f}")
            return
    if not pct or pct != sorted(pct) or pct[-1] != 1.0:
        bad(f"{w}: {rel}: percentiles do not rise to 1.0")
    if not any(line.startswith("#[Mean") for line in lines) or not any(
            "Total count" in line for line in lines):
        bad(f"{w}: {rel}: footer missing")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--all-ok", action="store_true")
    ap.add_argument("--complete", action="store_true")
    ap.add_argument("--failed")
    ap.add_argument("--min-skipped", type=int, default=0)
    a = ap.parse_args()

    meta = check_meta(a.dir) or {}
    rows = check_rows(a.dir)
    cells = {c["cell"]: c for c in meta.get("cells", [])}

    by_cell = {}
    for r in rows:
        by_cell.setdefault(r.get("cell"), []).append(r)
    seen = set()
    for r in rows:
        key = (r.get("cell"), r.get("rep"))
        if key in seen:
            bad(f"{key[0]} rep {key[1]}: duplicated")
        seen.add(key)
        if r.get("cell") not in cells:
            bad(f"{r.get('cell')}: not a cell of meta.json")

    skipped = 0
    failed = []
    for cid, rs in by_cell.items():
        st = {r["status"] for r in rs}
        if "skipped" in st:
            skipped += 1
            if len(rs) != 1 or not rs[0]["reason"]:
                bad(f"{cid}: skipped without a reason (or with several rows)")
            if cid in cells and not cells[cid].get("skipped"):
                bad(f"{cid}: skipped in results, not in meta.json")
            continue
        for r in rs:
            if r["status"] == "ok":
                check_ok_row(r, meta)
                if r.get("hist"):
                    check_hgrm(a.dir, r["hist"], cid)
            else:
                failed.append(r)
                if not r["reason"]:
                    bad(f"{cid} rep {r['rep']}: failed without a reason")
                if r["throughput_eps"] is not None:
                    bad(f"{cid} rep {r['rep']}: failed but has a throughput")
    if a.all_ok and failed:
        for r in failed[:5]:
            bad(f"{r['cell']} rep {r['rep']}: failed: {r['reason']}")
    if a.failed:
        if not failed:
            bad(f"no failed rep (expected reasons with {a.failed!r})")
        for r in failed:
            if a.failed not in r["reason"]:
                bad(f"{r['cell']} rep {r['rep']}: reason lacks {a.failed!r}: {r['reason']}")
    if skipped < a.min_skipped:
        bad(f"{skipped} skipped cells, expected at least {a.min_skipped}")
    if a.complete:
        for cid, c in cells.items():
            want = {0} if c.get("skipped") else set(range(c["reps"]))
            got = [r["rep"] for r in by_cell.get(cid, [])]
            if sorted(got) != sorted(want):
                bad(f"{cid}: reps {sorted(got)}, expected {sorted(want)}")

    # summary.csv: one row per cell that has rows, with the columns gnuplot and report read.
    try:
        with open(os.path.join(a.dir, "summary.csv")) as f:
            srows = list(csv.DictReader(f))
        for col in ("cell", "status", "reps", "throughput_median", "p99_median",
                    "alloc_per_event", "reason"):
            if srows and col not in srows[0]:
                bad(f"summary.csv: no column {col}")
        if sorted(r["cell"] for r in srows) != sorted(by_cell):
            bad(f"summary.csv: {len(srows)} cells, results.jsonl has {len(by_cell)}")
    except OSError as e:
        bad(f"summary.csv: {e}")
    if not os.path.isdir(os.path.join(a.dir, "hist")):
        bad("hist/ missing")

    for p in problems[:40]:
        print("FAIL:", p)
    n_ok = sum(1 for r in rows if r["status"] == "ok")
    print(f"{a.dir}: {len(by_cell)} cells, {len(rows)} rows ({n_ok} ok, {len(failed)} failed, "
          f"{skipped} skipped cells), {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
