#!/usr/bin/env bash
# in_private_net.sh CMD ARGS... - run CMD in a network namespace of its own with only lo up, so
# 127.0.0.1 is its only IPv4 address (as in a container without a network): the case where the
# Slurm fixture must add 127.0.0.2 to lo, proven without touching this machine's interfaces.
# Exit 77 when no namespace can be made here (needs root, or CAP_SYS_ADMIN, and unshare).
set -u
[ $# -gt 0 ] || { echo "usage: $0 CMD ARGS..." >&2; exit 2; }
command -v unshare >/dev/null || { echo "SKIP: no unshare here (util-linux)"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: no ip here (iproute2)"; exit 77; }
unshare --net true 2>/dev/null || { echo "SKIP: cannot make a network namespace here (unshare --net)"; exit 77; }
exec unshare --net -- bash -c 'ip link set lo up && exec "$@"' in_private_net "$@"
