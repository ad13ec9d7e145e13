#!/usr/bin/env bash
# demo.sh - the main job, end to end on one machine: install what is missing
# and build a release tree (tools/setup.sh, into build/, without the test
# clock), then run the lifecycle demo (tools/demo.py): one node on loopback
# taken through the whole seed workflow with generated sample data, driven by
# accordctl, with accord-verify checking the issued record offline and again
# after its revocation. Everything the demo makes is in demo-data/ (emptied
# first, so it re-runs cleanly). The node is stopped at the end and on any
# failure or interruption (tools/demo.py).
# Usage: tools/demo.sh [--port N]   (as root on Debian 12, from anywhere)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

printf '== set-up and build (tools/setup.sh %s)\n' "${BUILD#"$ROOT"/}"
# -DACCORD_TEST_CLOCK=OFF: a build directory configured earlier with the test
# clock keeps it in the CMake cache unless told otherwise; the demo is a
# release build and needs no clock.
"$ROOT/tools/setup.sh" "$BUILD" -DACCORD_TEST_CLOCK=OFF

exec /usr/bin/python3 "$ROOT/tools/demo.py" --build "$BUILD" --data "$ROOT/demo-data" "$@"
