#!/usr/bin/env bash
# The copy paths over a small matrix, every cell verified: a payload (producer fill, per-edge
# copies, fan-out and shard dealing, join merges, the terminals' payload check) and batches in
# flight (the ring's batched claims, pingpong's echo copying a whole batch into pong, the per-edge
# round trip's stamps). CI runs it in every build; in the ThreadSanitizer build it is the TSan
# pass over a matrix (memory-order mistakes are invisible to value checks on x86).
source "$(dirname "$0")/test_e2e_lib.sh"

"$qtopo" run -t pingpong,diamond,shard,sequencer -q all -w block,spin -p os --batch 1,8 \
  --payload 0,24 -n 3000 --warmup 300 -r 1 --timeout 120 -o c >c.out 2>c.err
rc=$?
[ $rc -eq 0 ] || die "qtopo run exited $rc"
check c --all-ok --complete
python3 - <<'PY' || die "coverage"
import json, sys
rows = [json.loads(l) for l in open("c/results.jsonl") if json.loads(l)["status"] == "ok"]
have = {(r["topology"], r["queue"], r["params"]["batch"], r["params"]["payload"]) for r in rows}
for q in ("ring", "mutex-array", "mutex-linked"):
    for t in ("pingpong", "diamond", "shard"):
        if (t, q, 8, 24) not in have:
            sys.exit(f"no verified {t} over {q} with batch 8 and payload 24")
PY
echo "ok: payload and batch copies verified"
