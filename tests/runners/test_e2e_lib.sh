# test_e2e_lib.sh - shared by the runner's end-to-end tests (sourced, not run).
# Sets: qtopo (absolute path of the binary), here (this folder), work (a temp dir, removed at
# exit), and gives check (the results checker) and die.
set -u
qtopo=${1:?usage: $0 QTOPO}
qtopo=$(cd "$(dirname "$qtopo")" && pwd)/$(basename "$qtopo")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/qtopo-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export QTOPO_TEST_TTY=0

die() {
  echo "FAIL: $*"
  for f in "$work"/*.err; do
    [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
  done
  exit 1
}

check() {
  python3 "$here/test_e2e_check.py" "$@" || die "results check failed: $*"
}

# Wait until FILE has at least N lines (or SECONDS pass): 0 when it has.
wait_lines() {
  local file=$1 n=$2 secs=$3 i=0
  while [ $i -lt $((secs * 20)) ]; do
    if [ -f "$file" ] && [ "$(grep -c '' "$file")" -ge "$n" ]; then return 0; fi
    sleep 0.05
    i=$((i + 1))
  done
  return 1
}

# Rows of results.jsonl, and whether each cell present has all its reps (no half cells).
rows() { grep -c '' "$1/results.jsonl" 2>/dev/null || echo 0; }
