#!/usr/bin/env bash
# run.sh - runs every benchmark: each tests/bench/bench_*.sh script and each
# built bench_* binary, then prints the ratio lines they reported.
# Usage: tests/bench/run.sh [BUILD_DIR]
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
export ACCORD_BUILD="$BUILD"
OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT
status=0
for s in "$ROOT"/tests/bench/bench_*.sh; do
    [ -e "$s" ] || continue
    echo "== $(basename "$s")"
    bash "$s" "$BUILD" 2>&1 | tee -a "$OUT" || status=1
done
for b in "$BUILD"/tests/bench_*; do
    [ -x "$b" ] && [ -f "$b" ] || continue
    # bench_mkrecords and bench_mkob3 generate input for the verify benchmarks.
    [ "$(basename "$b")" = bench_mkrecords ] && continue
    [ "$(basename "$b")" = bench_mkob3 ] && continue # input for bench_verify_ob3.sh
    [ "$(basename "$b")" = bench_fill ] && continue # input for bench_million.sh
    [ "$(basename "$b")" = bench_writes ] && continue # the raw side of bench_writes.sh
    echo "== $(basename "$b")"
    "$b" 2>&1 | tee -a "$OUT" || status=1
done
echo "== ratios"
grep -i 'ratio' "$OUT" || echo "(no ratios reported)"
exit $status
