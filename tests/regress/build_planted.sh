#!/usr/bin/env bash
# build_planted.sh SRC DIR BUILD_TYPE C_COMPILER CXX_COMPILER GENERATOR - configure and build qtopo
# with -DQTOPO_PLANTED_REGRESSION=ON in its own build directory DIR (the planted-regression test's
# binary). Incremental: a second run only rebuilds what changed. Prints the binary's path last.
set -euo pipefail
src=$1 dir=$2 type=$3 cc=$4 cxx=$5 gen=$6
mkdir -p "$dir"
cmake -S "$src" -B "$dir" -G "$gen" -DCMAKE_BUILD_TYPE="$type" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_CXX_COMPILER="$cxx" -DQTOPO_PLANTED_REGRESSION=ON -DQTOPO_SANITIZE= >"$dir/configure.log" 2>&1 ||
  { tail -20 "$dir/configure.log"; exit 1; }
cmake --build "$dir" --target qtopo -j "$(nproc)" >"$dir/build.log" 2>&1 || { tail -30 "$dir/build.log"; exit 1; }
find "$dir" -name qtopo -type f -perm -u+x | head -1
