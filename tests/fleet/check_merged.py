#!/usr/bin/env python3
"""check_merged.py DIR [--cells-of WHOLE] - the results directory DIR (one machine's, as qtopo
merge writes it) holds every cell once and every rep of it once, each ok rep verified and none
failed; with --cells-of, its cells are WHOLE's (a run of the whole matrix), in WHOLE's order.
Prints one line: cells, ok reps, skipped cells, missing slices. Exit 0 if so, 1 (saying why)
if not."""
import collections
import json
import sys


def fail(msg):
    print("FAIL " + msg)
    sys.exit(1)


def main():
    d = sys.argv[1]
    meta = json.load(open(d + "/meta.json"))
    cells = [c["cell"] for c in meta["cells"]]
    if len(set(cells)) != len(cells):
        fail("a cell twice in meta.json: %s" % [c for c, n in collections.Counter(cells).items() if n > 1])
    if "--cells-of" in sys.argv:
        whole = json.load(open(sys.argv[sys.argv.index("--cells-of") + 1] + "/meta.json"))
        if [c["cell"] for c in whole["cells"]] != cells:
            fail("the cells are not the whole matrix's, in its order")
    reps = {c["cell"]: (c["reps"], c["skipped"]) for c in meta["cells"]}
    seen = collections.defaultdict(list)
    ok = 0
    for no, line in enumerate(open(d + "/results.jsonl"), 1):
        r = json.loads(line)
        if r["cell"] not in reps:
            fail("line %d: cell %s is not in meta.json" % (no, r["cell"]))
        seen[r["cell"]].append(r["rep"])
        if r["status"] == "failed":
            fail("line %d: %s rep %d failed: %s" % (no, r["cell"], r["rep"], r["reason"]))
        if r["status"] == "ok":
            if not r["verified"]:
                fail("line %d: %s rep %d ok but not verified" % (no, r["cell"], r["rep"]))
            ok += 1
    skipped = 0
    for c, (n, skip) in reps.items():
        want = [-1] if skip else list(range(n))
        got = sorted(seen.get(c, []))
        if skip and len(got) == 1:
            skipped += 1
            continue
        if got != want:
            fail("cell %s has reps %s, not %s" % (c, got, want))
    csv = open(d + "/summary.csv").read().splitlines()
    if len(csv) != len(cells) + 1:
        fail("summary.csv has %d rows for %d cells" % (len(csv) - 1, len(cells)))
    missing = [m["slice"] for m in meta.get("merged", {}).get("missing", [])]
    print("cells=%d ok_reps=%d skipped=%d missing=%s" % (len(cells), ok, skipped, ",".join(missing) or "none"))


main()
