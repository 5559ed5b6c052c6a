#!/usr/bin/env python3
"""Write tests/fixtures/results-small/: a small qtopo results directory for the report tests.

The numbers are invented but shaped like a run of a sparse matrix on a 2-core x86 VM with one NUMA
node (ring faster than the mutex queues, block slower than spin/yield, mutex-linked allocating one
node per event per edge). Histograms are recorded with HdrHistogram's bucket layout (1 ns .. 1 h,
3 significant digits) and printed with its percentile iterator and CLASSIC text format, so every
.hgrm here is what HdrHistogram_c's hdr_percentiles_print() would write.

Deterministic (fixed seed). Usage: tests/plots/make_fixture.py [OUT_DIR] [--hwloc-xml FILE]
The report tests are data-driven: regenerating this fixture, or replacing it by a real run, keeps
them valid.
"""
import csv
import json
import math
import os
import random
import shutil
import subprocess
import sys

SEED = 20240601
EVENTS = 1_000_000
SAMPLES = 20_000  # recorded per rep, each with weight EVENTS // SAMPLES
REPS = 3

# ---------------------------------------------------------------------------------------------
# HdrHistogram (lowest 1, highest 3600e9, 3 significant digits: 2048 sub-buckets).


def bucket(v):
    """(lowest, highest) equivalent values of v's bucket."""
    b = max(0, (v | 2047).bit_length() - 11)
    lo = (v >> b) << b
    return lo, lo + (1 << b) - 1


class Hist:
    def __init__(self):
        self.counts = {}  # lowest equivalent value -> count
        self.total = 0
        self.max_v = 0

    def record(self, v, n=1):
        v = min(max(int(v), 1), 3_600_000_000_000)
        lo, _ = bucket(v)
        self.counts[lo] = self.counts.get(lo, 0) + n
        self.total += n
        self.max_v = max(self.max_v, v)

    def merge(self, other):
        for lo, c in other.counts.items():
            self.counts[lo] = self.counts.get(lo, 0) + c
        self.total += other.total
        self.max_v = max(self.max_v, other.max_v)

    def _items(self):
        return sorted(self.counts.items())

    def percentile(self, p):
        """hdr_value_at_percentile: highest equivalent value."""
        want = max(int(p / 100.0 * self.total + 0.5), 1)
        run = 0
        for lo, c in self._items():
            run += c
            if run >= want:
                return bucket(lo)[1]
        return 0

    def mean(self):
        s = 0
        for lo, c in self._items():
            l, h = bucket(lo)
            s += (l + ((h - l + 1) >> 1)) * c
        return s / self.total

    def stddev(self):
        m = self.mean()
        s = 0
        for lo, c in self._items():
            l, h = bucket(lo)
            d = (l + ((h - l + 1) >> 1)) - m
            s += d * d * c
        return math.sqrt(s / self.total)

    def max(self):
        return bucket(self.max_v)[1]

    def write_hgrm(self, f, ticks_per_half=5, scale=1000.0):
        """What qtp_hist_write_hgrm (results/measure/hist.c) writes: HdrHistogram's percentile
        distribution as Java's outputPercentileDistribution prints it, values in microseconds."""
        def row(lo, level, cum):
            v = bucket(lo)[1] / scale
            frac = level / 100.0
            if level != 100.0:
                f.write("%12.3f %2.12f %10d %14.2f\n" % (v, frac, cum, 1.0 / (1.0 - frac)))
            else:
                f.write("%12.3f %2.12f %10d\n" % (v, frac, cum))

        f.write("%12s %14s %10s %14s\n\n" % ("Value", "Percentile", "TotalCount", "1/(1-Percentile)"))
        # PercentileIterator: a bucket may emit several levels; after the bucket that reaches the
        # total, one more row at exactly 100%.
        cum = 0
        level = 0.0
        last = None
        for lo, c in self._items():
            cum += c
            last = lo
            pct = 100.0 * cum / self.total
            while pct >= level:
                row(lo, level, cum)
                halvings = int(math.log(100.0 / (100.0 - level)) / math.log(2)) + 1
                level += 100.0 / (ticks_per_half * 2.0 ** halvings)
                if cum == self.total:
                    break
        row(last, 100.0, self.total)
        f.write("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n" % (self.mean() / scale, self.stddev() / scale))
        f.write("#[Max     = %12.3f, Total count    = %12d]\n" % (self.max() / scale, self.total))
        f.write("#[Buckets = %12d, SubBuckets     = %12d]\n" % (32, 2048))


# ---------------------------------------------------------------------------------------------
# The sparse matrix: (topology, queue, wait, placement, params, profile).
# profile: throughput median (events/s), latency p50 (ns), spread, tail probability.

PROFILES = {
    # (topology, queue, wait): (throughput, p50_ns, sigma, tail_p)
    ("unicast", "ring", "spin"): (52e6, 9_500, 0.25, 0.002),
    ("unicast", "ring", "yield"): (44e6, 11_800, 0.30, 0.004),
    ("unicast", "ring", "block"): (13.5e6, 41_000, 0.45, 0.010),
    ("unicast", "mutex-array", "block"): (4.3e6, 118_000, 0.40, 0.010),
    ("unicast", "mutex-linked", "block"): (2.6e6, 190_000, 0.45, 0.012),
    ("diamond", "ring", "yield"): (17e6, 30_000, 0.35, 0.006),
    ("diamond", "mutex-array", "block"): (1.15e6, 440_000, 0.45, 0.012),
    ("diamond", "mutex-linked", "block"): (0.72e6, 700_000, 0.50, 0.015),
    ("fanout", "ring", "yield"): (21e6, 24_000, 0.35, 0.006),
    ("fanout", "mutex-array", "block"): (1.4e6, 360_000, 0.45, 0.012),
    ("fanout", "mutex-linked", "block"): (0.85e6, 590_000, 0.50, 0.015),
    ("shard", "ring", "yield"): (24e6, 21_000, 0.35, 0.006),
    ("shard", "mutex-array", "block"): (1.7e6, 300_000, 0.45, 0.012),
    ("shard", "mutex-linked", "block"): (1.05e6, 480_000, 0.50, 0.015),
}

# Allocation calls per event over mutex-linked queues: one node per event per edge.
EDGES = {"unicast": 1, "diamond": 4, "fanout": None, "shard": 2}
NODE_BYTES = 96

CELLS = [
    # topology, queue, wait, placement, fanout, shards, status, reason
    ("unicast", "ring", "spin", "os", 0, 0, "ok", ""),
    ("unicast", "ring", "yield", "os", 0, 0, "ok", ""),
    ("unicast", "ring", "block", "os", 0, 0, "ok", ""),
    ("unicast", "mutex-array", "block", "os", 0, 0, "ok", ""),
    ("unicast", "mutex-linked", "block", "os", 0, 0, "ok", ""),
    ("unicast", "ring", "yield", "compact", 0, 0, "ok", ""),
    ("unicast", "mutex-array", "block", "compact", 0, 0, "ok", ""),
    ("unicast", "ring", "spin", "cross-numa", 0, 0, "skipped",
     "cross-numa needs 2 NUMA nodes, this machine has 1"),
    ("diamond", "ring", "yield", "os", 0, 0, "ok", ""),
    ("diamond", "ring", "block", "os", 0, 0, "failed",
     "watchdog: no progress for 10.0 s: producer=625664 published=625663 c1=625663 c2=625663 "
     "c3=624639"),
    ("diamond", "mutex-array", "block", "os", 0, 0, "ok", ""),
    ("diamond", "mutex-linked", "block", "os", 0, 0, "ok", ""),
    ("fanout", "ring", "yield", "os", 3, 0, "ok", ""),
    ("fanout", "mutex-array", "block", "os", 3, 0, "ok", ""),
    ("fanout", "mutex-linked", "block", "os", 3, 0, "ok", ""),
    ("fanout", "ring", "yield", "os", 6, 0, "ok", ""),
    ("fanout", "mutex-array", "block", "os", 6, 0, "ok", ""),
    ("shard", "ring", "yield", "os", 0, 2, "ok", ""),
    ("shard", "mutex-array", "block", "os", 0, 2, "ok", ""),
    ("shard", "ring", "yield", "os", 0, 4, "ok", ""),
    ("shard", "mutex-array", "block", "os", 0, 4, "ok", ""),
]


def cell_id(topo, queue, wait, placement, memory, params):
    """qtp_cell_id() of results/qtp_results.h."""
    def k(n):
        for suf, d in (("G", 10**9), ("M", 10**6), ("K", 10**3)):
            if n and n % d == 0:
                return f"{n // d}{suf}"
        return str(n)
    cid = (f"{topo}.{queue}.{wait}.{placement}.{memory}.n{k(params['events'])}"
           f".r{k(params['ring_size'])}.b{k(params['batch'])}.p{k(params['payload'])}"
           f".w{k(params['work_ns'])}")
    for key, tag in (("fanout", "f"), ("shards", "s"), ("stages", "l"), ("rate", "rate")):
        if params[key]:
            cid += f".{tag}{k(params[key])}"
    return cid.replace(":", "_").replace(",", "+")


def med(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def threads_of(topo, placement, fanout, shards):
    if topo == "unicast":
        roles = ["producer", "c1"]
    elif topo == "diamond":
        roles = ["producer", "c1", "c2", "c3"]
    elif topo == "fanout":
        roles = ["producer"] + [f"c{i + 1}" for i in range(fanout)]
    else:
        roles = ["producer"] + [f"w{i}" for i in range(shards)] + ["merge"]
    out = []
    for i, r in enumerate(roles):
        if placement == "compact":
            out.append({"role": r, "cpu_wanted": i % 2, "cpus_seen": [i % 2], "node": 0})
        else:
            out.append({"role": r, "cpu_wanted": -1, "cpus_seen": [0, 1], "node": 0})
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.normpath(os.path.join(here, "..", "fixtures", "results-small"))
    xml_file = None
    args = sys.argv[1:]
    while args:
        a = args.pop(0)
        if a == "--hwloc-xml":
            xml_file = args.pop(0)
        else:
            out = a
    rng = random.Random(SEED)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "hist"))

    if xml_file:
        with open(xml_file) as f:
            hwloc_xml = f.read()
    else:
        hwloc_xml = subprocess.run(["lstopo-no-graphics", "--of", "xml"], check=True,
                                   capture_output=True, text=True).stdout

    # meta.json in the layout `qtopo run` writes (runners/run_meta.c).
    u = os.uname()
    meta = {
        "qtopo_version": "0.1.0",
        "start_time": "2024-06-01T09:30:12Z",
        "command_line": ["qtopo", "run", "--matrix", "tests/plots/results-small-matrix.json",
                         "-o", "tests/fixtures/results-small"],
        "cwd": "/work/main",
        "machine": {
            "source": "this machine",
            "this_system": True,
            "hostname": "vm",
            "cpu_model": "Intel(R) Xeon(R) Processor @ 2.50GHz",
            "kernel": "%s %s %s" % (u.sysname, u.release, u.machine),
            "governor": None,
            "hwloc_version": "2.9.0 (API 2.8)",
            "numa_available": True,
            "packages": 1,
            "cores": 2,
            "pus": 2,
            "numa_nodes": 1,
            "smt": 1,
            "cpus": "0-1",
            "nodes": [{"os_index": 0, "memory_bytes": 5731737600, "cpus": "0-1"}],
            "distances": {"source": "libnuma", "matrix": [[10]]},
            "caches": [
                {"name": "L1d", "level": 1, "size_bytes": 32768, "line_bytes": 64,
                 "instances": 2, "pus_per_instance": 1},
                {"name": "L2", "level": 2, "size_bytes": 1048576, "line_bytes": 64,
                 "instances": 2, "pus_per_instance": 1},
                {"name": "L3", "level": 3, "size_bytes": 37486592, "line_bytes": 64,
                 "instances": 1, "pus_per_instance": 2}],
            "pu_table": [{"os_index": 0, "core": 0, "package": 0, "node": 0, "smt_rank": 0},
                         {"os_index": 1, "core": 1, "package": 0, "node": 0, "smt_rank": 0}],
            "placements": [
                {"name": "os", "possible": True, "reason": ""},
                {"name": "compact", "possible": True, "reason": ""},
                {"name": "spread", "possible": True, "reason": ""},
                {"name": "smt", "possible": False,
                 "reason": "smt needs SMT siblings: cores have 1 PU each"},
                {"name": "cross-numa", "possible": False,
                 "reason": "cross-numa needs 2 NUMA nodes, this machine has 1"},
                {"name": "cpus:LIST", "possible": True, "reason": "CPUs 0-1"}],
            "memory": [
                {"name": "local", "possible": True, "reason": ""},
                {"name": "interleave", "possible": True,
                 "reason": "one NUMA node: the same pages as node:0"},
                {"name": "node:N", "possible": True, "reason": "N in 0"}],
            "hwloc_xml": hwloc_xml,
        },
        "clock": {"source": "tsc", "tsc_ghz": 2.4999818671557894},
        "build": {"compiler": "GNU 12.2.0", "flags": "-O3 -DNDEBUG -Wall -Wextra -Wshadow -Wpedantic",
                  "build_type": "Release",
                  "git_commit": "cd8d4cb3f0a1c2e4b5d6e7f8091a2b3c4d5e6f70"},
        "compiler": "GNU 12.2.0",
        "compiler_flags": "-O3 -DNDEBUG -Wall -Wextra -Wshadow -Wpedantic",
        "git_commit": "cd8d4cb3f0a1c2e4b5d6e7f8091a2b3c4d5e6f70",
        "alloc_counting": True,
        "latency_recording": True,
        "matrix": {
            "topology": ["unicast", "diamond", "fanout", "shard"],
            "queue": ["ring", "mutex-array", "mutex-linked"],
            "wait": ["spin", "yield", "block"],
            "placement": ["os", "compact", "cross-numa"],
            "memory": ["local"],
            "events": [EVENTS],
            "reps": REPS,
            "warmup": 100000,
            "ring-size": [1024],
            "batch": [64],
            "payload": [0],
            "work": [0],
            "fanout": [3, 6],
            "shards": [2, 4],
            "stages": [3],
            "rate": [0],
            "timeout": 10,
            "oversubscribe": False,
            "quick": False,
            "no-latency": False,
            "seed": str(SEED),
        },
        "cells": [],  # filled below
        "resumes": [],
        "rss_peak_source": "vmhwm-reset",
    }

    rows = []
    summary = []
    for (topo, queue, wait, placement, fanout, shards, status, reason) in CELLS:
        memory = "local"
        params = {"events": EVENTS, "warmup": 100000, "ring_size": 1024, "batch": 64,
                  "payload": 0, "work_ns": 0, "fanout": fanout, "shards": shards, "stages": 0,
                  "rate": 0}
        cid = cell_id(topo, queue, wait, placement, memory, params)
        base = {"cell": cid, "topology": topo, "queue": queue, "wait": wait,
                "placement": placement, "memory": memory, "params": params}
        nreps = REPS if status == "ok" else 1
        cell_hist = Hist()
        reps = []
        meta["cells"].append({"cell": cid, "topology": topo, "queue": queue, "wait": wait,
                              "placement": placement, "memory": memory,
                              "threads": len(threads_of(topo, placement, fanout, shards)),
                              "skipped": status == "skipped", "oversubscribed": False,
                              "reason": reason if status == "skipped" else ""})
        for rep in range(nreps):
            row = dict(base)
            row.update({"rep": rep, "status": status, "reason": reason,
                        "verified": status == "ok", "oversubscribed": False})
            zero_lat = {"count": 0, "mean": 0, "p50": 0, "p90": 0, "p99": 0, "p999": 0,
                        "p9999": 0, "max": 0}
            if status != "ok":
                row.update({"throughput_eps": 0, "elapsed_s": 0, "latency_ns": zero_lat,
                            "alloc": {"calls": 0, "bytes": 0, "frees": 0, "per_event": 0,
                                      "bytes_per_event": 0},
                            "cpu": {"user_s": 0, "sys_s": 0, "voluntary_cs": 0,
                                    "involuntary_cs": 0},
                            "rss_peak_kb": 0,
                            "threads": [] if status == "skipped" else
                            threads_of(topo, placement, fanout, shards),
                            "buffer_nodes": [] if status == "skipped" else [0],
                            "hist": None})
                if status == "failed":
                    row["elapsed_s"] = 10.0
                rows.append(row)
                reps.append(row)
                continue
            tput, p50, sigma, tail = PROFILES[(topo, queue, wait)]
            # Sweeps: each extra fan-out branch costs the queues a copy, the ring a little;
            # more shards help both, the ring more.
            if topo == "fanout" and fanout != 3:
                tput *= (0.80 if queue == "ring" else 0.48)
                p50 *= (1.25 if queue == "ring" else 2.1)
            if topo == "shard" and shards != 2:
                tput *= (1.35 if queue == "ring" else 1.12)
                p50 *= (0.8 if queue == "ring" else 0.95)
            if placement == "compact":
                tput *= (1.12 if queue == "ring" else 0.93)
                p50 *= (0.9 if queue == "ring" else 1.05)
            t = tput * rng.uniform(0.94, 1.05)
            h = Hist()
            w = EVENTS // SAMPLES
            for _ in range(SAMPLES):
                v = rng.lognormvariate(math.log(p50), sigma)
                if rng.random() < tail:
                    v *= 1 + rng.paretovariate(1.7) * 3
                h.record(v, w)
            cell_hist.merge(h)
            elapsed = EVENTS / t
            nthreads = len(threads_of(topo, placement, fanout, shards))
            if queue == "ring":
                calls = 0
            else:
                edges = fanout if topo == "fanout" else EDGES[topo]
                calls = edges * EVENTS if queue == "mutex-linked" else 0
            blocking = wait == "block" or queue != "ring"
            row.update({
                "throughput_eps": round(t, 1),
                "elapsed_s": round(elapsed, 6),
                "latency_ns": {"count": h.total, "mean": round(h.mean(), 1),
                               "p50": h.percentile(50), "p90": h.percentile(90),
                               "p99": h.percentile(99), "p999": h.percentile(99.9),
                               "p9999": h.percentile(99.99), "max": h.max()},
                "alloc": {"calls": calls, "bytes": calls * NODE_BYTES, "frees": calls,
                          "per_event": calls / EVENTS,
                          "bytes_per_event": calls * NODE_BYTES / EVENTS},
                "cpu": {"user_s": round(elapsed * min(nthreads, 2) * (0.55 if blocking else 0.97), 4),
                        "sys_s": round(elapsed * (0.40 if blocking else 0.01), 4),
                        "voluntary_cs": int(EVENTS * 0.21) if blocking else rng.randint(0, 40),
                        "involuntary_cs": rng.randint(5, 300)},
                "rss_peak_kb": 4096 + rng.randint(0, 900) + (64 if queue == "ring" else 16) * nthreads,
                "threads": threads_of(topo, placement, fanout, shards),
                "buffer_nodes": [0],
                "hist": f"hist/{cid}.hgrm",
            })
            rows.append(row)
            reps.append(row)
        if status == "ok":
            with open(os.path.join(out, "hist", cid + ".hgrm"), "w") as f:
                cell_hist.write_hgrm(f)

        ok = [r for r in reps if r["status"] == "ok"]

        def stat(fn, key):
            xs = [key(r) for r in ok]
            return fn(xs) if xs else ""

        lat = lambda name: (lambda r: r["latency_ns"][name])
        summary.append({
            "cell": cid, "topology": topo, "queue": queue, "wait": wait, "placement": placement,
            "memory": memory, "events": EVENTS, "warmup": params["warmup"],
            "ring_size": params["ring_size"], "batch": params["batch"],
            "payload": params["payload"], "work_ns": params["work_ns"], "fanout": fanout,
            "shards": shards, "stages": params["stages"], "rate": params["rate"],
            "status": status, "reps": len(reps), "reps_ok": len(ok),
            "throughput_median": stat(med, lambda r: r["throughput_eps"]),
            "throughput_min": stat(min, lambda r: r["throughput_eps"]),
            "throughput_max": stat(max, lambda r: r["throughput_eps"]),
            "p50_median": stat(med, lat("p50")), "p90_median": stat(med, lat("p90")),
            "p99_median": stat(med, lat("p99")), "p99_min": stat(min, lat("p99")),
            "p99_max": stat(max, lat("p99")), "p999_median": stat(med, lat("p999")),
            "p9999_median": stat(med, lat("p9999")), "max_median": stat(med, lat("max")),
            "alloc_per_event": stat(med, lambda r: r["alloc"]["per_event"]),
            "bytes_per_event": stat(med, lambda r: r["alloc"]["bytes_per_event"]),
            "verified": int(all(r["verified"] for r in reps)) if ok else 0,
            "oversubscribed": int(any(r["oversubscribed"] for r in reps)),
            "reason": reason.replace(",", ";").replace('"', "'").replace("\n", " "),
        })

    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "results.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=list(summary[0].keys()), lineterminator="\n")
        wr.writeheader()
        wr.writerows(summary)
    with open(os.path.join(out, ".gitignore"), "w") as f:
        f.write("# `qtopo report` on this fixture writes report/ here\nreport/\n")
    print(f"{out}: {len(rows)} rows, {len(summary)} cells")


if __name__ == "__main__":
    main()
