#!/usr/bin/env bash
# test.sh - builds Accord twice (with the test clock; then with ASan+UBSan) and
# runs the whole ctest suite in each; then builds the main job's release tree
# (without the test clock, as tools/demo.sh does, which neither build above
# compiles) and runs the consortium demo on it. Exits non-zero if any test or
# the demo fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$ROOT/tools/setup.sh" "$ROOT/build-test" -DACCORD_TEST_CLOCK=ON
echo "test: running the suite (build-test)"
ctest --test-dir "$ROOT/build-test" --output-on-failure -j2

"$ROOT/tools/setup.sh" "$ROOT/build-asan" -DACCORD_TEST_CLOCK=ON -DACCORD_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug
# The browser tests (label "browser") run once, in the plain build: most of
# their time is chromium's, which the sanitizers do not check. The node's side
# of the pages (sessions, sign-in, CSRF) runs under ASan in
# tests/web/test_web_session.py and the unit tests.
echo "test: running the suite under ASan+UBSan (build-asan)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$ROOT/build-asan" --output-on-failure -j2 -LE browser

# The main job (README's first command): its release tree and the demo on it.
"$ROOT/tools/setup.sh" "$ROOT/build-release" -DACCORD_TEST_CLOCK=OFF
echo "test: the consortium demo on a release build without the test clock (build-release)"
DEMO_DATA="$(mktemp -d)"
trap 'rm -rf "$DEMO_DATA"' EXIT
/usr/bin/python3 "$ROOT/tools/demo.py" --build "$ROOT/build-release" --data "$DEMO_DATA/demo-data"
