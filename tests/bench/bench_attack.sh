#!/usr/bin/env bash
# bench_attack.sh - runs bench_attack.py against BUILD_DIR, so tests/bench/run.sh
# picks it up: a well-behaved client's rate and p99 under each bounded attack
# against the same without it, and the node's peak RSS (see bench_attack.py).
# Usage: tests/bench/bench_attack.sh [BUILD_DIR]   (SECONDS_PER_RUN, default 5)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ACCORD_BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
exec /usr/bin/python3 "$ROOT/tests/bench/bench_attack.py" "${SECONDS_PER_RUN:-5}"
