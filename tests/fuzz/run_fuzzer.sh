#!/usr/bin/env bash
# ctest fuzz.spec_parser: builds tests/fuzz with clang against the main
# build's libraries, then fuzzes the spec parser for a bounded time, starting
# from the committed corpus. New interesting inputs go to a scratch dir (the
# committed corpus is only read); a crash leaves its input in the build dir
# and fails the test.
#   run_fuzzer.sh CLANGXX BUILD_DIR SOURCE_DIR LIB...
# FUZZ_SECONDS (default 30) bounds the run.
set -euo pipefail
clangxx=$1 build=$2 src=$3
shift 3
libs=$(IFS=';'; echo "$*")
here=$src/tests/fuzz
cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="$clangxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DVSRV_SOURCE_DIR="$src" -DVSRV_LIBS="$libs" >/dev/null
cmake --build "$build" -j2 >/dev/null
work=$build/run
rm -rf "$work"
mkdir -p "$work/new" "$work/artifacts"
cd "$work"
"$build/spec_parser_fuzz" -max_total_time="${FUZZ_SECONDS:-30}" -runs=2000000 -timeout=10 \
  -rss_limit_mb=2048 -max_len=8192 -dict="$here/spec.dict" -artifact_prefix="$work/artifacts/" \
  -print_final_stats=1 "$work/new" "$here/corpus"
