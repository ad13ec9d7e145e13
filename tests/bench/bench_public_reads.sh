#!/usr/bin/env bash
# bench_public_reads.sh - h2load against the node's public GET /v1/node versus
# nghttpd serving a file of the same size, same machine, same run, loopback
# only. Prints both request rates and their ratio (target: at least 0.8).
# The machine is shared, so the two servers are measured alternately ROUNDS
# times and the median of each is compared.
# Usage: tests/bench/bench_public_reads.sh [BUILD_DIR]   (env N, C, M, ROUNDS override)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/tests/bench/lib.sh"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
N="${N:-50000}" C="${C:-10}" M="${M:-10}" ROUNDS="${ROUNDS:-5}"
NODE="$BUILD/node/accord-node"
NGHTTPD="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
bench_require bench_public_reads "$NODE" "$NGHTTPD" "$(command -v h2load)"

bench_tmp


NODE_PORT="$(free_port)"
bench_node_conf "$TMP/node.conf" "$TMP/data" "$NODE_PORT"
"$NODE" init --config "$TMP/node.conf" >/dev/null
"$NODE" --config "$TMP/node.conf" 2>"$TMP/node.log" &
NODE_PID=$!
wait_port "$NODE_PORT"

# A file of exactly the size of the node's answer, for nghttpd to serve.
mkdir -p "$TMP/www"
curl -s --http2-prior-knowledge "http://127.0.0.1:$NODE_PORT/v1/node" > "$TMP/www/node.json"
SIZE=$(stat -c %s "$TMP/www/node.json")
NG_PORT="$(free_port)"
"$NGHTTPD" --no-tls -d "$TMP/www" "$NG_PORT" >/dev/null 2>&1 &
NGHTTPD_PID=$!
wait_port "$NG_PORT"

echo "bench_public_reads: h2load -n $N -c $C -m $M, body $SIZE bytes, loopback, median of $ROUNDS rounds"
# Warm both up, then measure them alternately.
h2load -n 1000 -c "$C" -m "$M" "http://127.0.0.1:$NODE_PORT/v1/node" >/dev/null
h2load -n 1000 -c "$C" -m "$M" "http://127.0.0.1:$NG_PORT/node.json" >/dev/null
NODE_RATES=() NG_RATES=() FAILED=0
for _ in $(seq "$ROUNDS"); do
    out="$(h2load -n "$N" -c "$C" -m "$M" "http://127.0.0.1:$NODE_PORT/v1/node")"
    NODE_RATES+=("$(rate <<<"$out")")
    [ "$(succeeded <<<"$out")" = "$N" ] || FAILED=1
    out="$(h2load -n "$N" -c "$C" -m "$M" "http://127.0.0.1:$NG_PORT/node.json")"
    NG_RATES+=("$(rate <<<"$out")")
    [ "$(succeeded <<<"$out")" = "$N" ] || FAILED=1
done
NODE_RPS="$(median "${NODE_RATES[@]}")"
NG_RPS="$(median "${NG_RATES[@]}")"
printf 'accord-node GET /v1/node:   %s req/s (rounds: %s)\n' "$NODE_RPS" "${NODE_RATES[*]}"
printf 'nghttpd     GET /node.json: %s req/s (rounds: %s)\n' "$NG_RPS" "${NG_RATES[*]}"
[ "$FAILED" = 0 ] || echo "bench_public_reads: some requests failed (see h2load)"
awk -v a="$NODE_RPS" -v b="$NG_RPS" 'BEGIN { printf "ratio public_reads = %.2f (target >= 0.80)\n", a / b }'
