#!/usr/bin/env bash
# setup.sh - installs what Accord's build, tests and demo need on Debian 12 (as
# root; idempotent: it says what it installs and skips what is there), then
# configures and builds. Usage: tools/setup.sh [BUILD_DIR] [extra cmake args...]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true

# Build: compiler, CMake and the libraries Accord links.
DEBS=(build-essential cmake pkg-config
      libuv1-dev libsodium-dev libnghttp2-dev libsqlite3-dev libcbor-dev libssl-dev
      libjansson-dev zlib1g-dev libcurl4-openssl-dev libqrencode-dev libcmocka-dev
      # The PostgreSQL engine (libpq) and the throwaway servers its tests start
      # (tests/lib/pgserver.py runs postgresql-15's initdb and postgres).
      libpq-dev postgresql-15
      # Tests: independent HTTP/2 clients and servers, Python libraries nobody
      # here wrote, clang for the sanitizer and fuzz builds, npm for jose/COSE.
      clang libclang-rt-14-dev curl nghttp2-client nghttp2-server openssl sqlite3
      python3 python3-cbor2 python3-nacl python3-jwt python3-h2 python3-httpx
      nodejs npm procps
      # faketime: run accord-verify at the test clock of a node moved forward.
      faketime
      # Renders analytics SVG charts to PNG in test_analytics (optional check).
      librsvg2-bin
      # Web pages in a real browser (tests/web): headless chromium via selenium.
      chromium chromium-driver python3-selenium)

missing=()
for p in "${DEBS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        # A package may be satisfied by another that provides its command.
        case "$p" in
            nodejs) command -v node >/dev/null 2>&1 && continue ;;
            npm) command -v npm >/dev/null 2>&1 && continue ;;
        esac
        missing+=("$p")
    fi
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "setup: all Debian packages present"
fi

# npm packages for interop tests, pinned, installed beside the tests (never
# fetched at build time; the C build does not use them).
NPM_DIR="$ROOT/tests/interop/npm"
NPM_PKGS=(jose@6.2.17)
if [ -f "$ROOT/tests/interop/npm-packages.txt" ]; then
    mapfile -t NPM_PKGS < <(grep -v '^#' "$ROOT/tests/interop/npm-packages.txt" | grep -v '^$')
fi
need_npm=0
for p in "${NPM_PKGS[@]}"; do
    name="${p%@*}"
    [ -d "$NPM_DIR/node_modules/$name" ] || need_npm=1
done
if ((need_npm)); then
    echo "setup: installing npm packages ${NPM_PKGS[*]} into tests/interop/npm"
    mkdir -p "$NPM_DIR"
    (cd "$NPM_DIR" && [ -f package.json ] || echo '{"private":true}' > package.json)
    npm install --prefix "$NPM_DIR" --no-audit --no-fund --silent "${NPM_PKGS[@]}" >/dev/null
else
    echo "setup: npm packages present"
fi

# axe-core (accessibility rules, pinned) for the browser tests, beside them.
WEB_NPM_DIR="$ROOT/tests/web/npm"
WEB_NPM_PKGS=()
mapfile -t WEB_NPM_PKGS < <(grep -v '^#' "$ROOT/tests/web/npm-packages.txt" | grep -v '^$')
need_web_npm=0
for p in "${WEB_NPM_PKGS[@]}"; do
    [ -d "$WEB_NPM_DIR/node_modules/${p%@*}" ] || need_web_npm=1
done
if ((need_web_npm)); then
    echo "setup: installing npm packages ${WEB_NPM_PKGS[*]} into tests/web/npm"
    mkdir -p "$WEB_NPM_DIR"
    (cd "$WEB_NPM_DIR" && [ -f package.json ] || echo '{"private":true}' > package.json)
    npm install --prefix "$WEB_NPM_DIR" --no-audit --no-fund --silent "${WEB_NPM_PKGS[@]}" >/dev/null
else
    echo "setup: web test npm packages present"
fi

echo "setup: configuring and building in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
