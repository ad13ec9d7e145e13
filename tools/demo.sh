#!/usr/bin/env bash
# demo.sh - the main job, end to end on one machine: install what is missing
# and build a release tree (tools/setup.sh, into build/, without the test
# clock), then run the consortium demo (tools/demo.py): a state issuer, two
# districts and a recognizer, four accord-node processes on loopback over TLS
# under one signed consortium file, taken through the seed workflow and
# borrowed review with generated sample data, driven by accordctl, with
# accord-verify checking the issued record offline and again after its
# revocation. It ends with a summary and each role's one-time sign-in link.
# Everything the demo makes is in demo-data/ (emptied first, so it re-runs
# cleanly). The nodes are stopped at the end (with --serve: at Ctrl-C) and on
# any failure or interruption (tools/demo.py).
# Usage: tools/demo.sh [--port N] [--serve]   (as root on Debian 12, from anywhere)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"

printf '== set-up and build (tools/setup.sh %s)\n' "${BUILD#"$ROOT"/}"
# -DACCORD_TEST_CLOCK=OFF: a build directory configured earlier with the test
# clock keeps it in the CMake cache unless told otherwise; the demo is a
# release build and needs no clock.
"$ROOT/tools/setup.sh" "$BUILD" -DACCORD_TEST_CLOCK=OFF

exec /usr/bin/python3 "$ROOT/tools/demo.py" --build "$BUILD" --data "$ROOT/demo-data" "$@"
