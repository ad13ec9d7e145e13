#!/usr/bin/env bash
# bench_record_reads.sh - h2load GETting signed records by id from the node
# (GET /v1/credentials/{id}, R records issued first) versus nghttpd serving
# the very same bytes as files at the very same paths, loopback only. Prints
# both request rates and their ratio (target: at least 0.8).
#
# Fairness on a shared 2-core machine: both servers get the same h2load
# parameters and the same URI list (so the same request headers and bodies of
# the same size); one warm-up run each; then ROUNDS rounds that alternate node
# and nghttpd so load from others hits both alike; the medians are compared and
# the spread (min-max) is printed. When taskset and two CPUs exist, each server
# runs on CPU 1 and h2load on CPU 0, so client and server do not share a core.
# Besides wall-clock rates, each round reads the server's own CPU time from
# /proc, giving requests per server CPU-second: the steadier figure when other
# processes steal time, printed as a second ratio.
# Usage: tests/bench/bench_record_reads.sh [BUILD_DIR]
#        (env N requests per round, C clients, M streams each, R records, ROUNDS)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/tests/bench/lib.sh"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
N="${N:-50000}" C="${C:-10}" M="${M:-10}" R="${R:-100}" ROUNDS="${ROUNDS:-5}"
NODE="$BUILD/node/accord-node"
CTL="$BUILD/tools/accordctl"
NGHTTPD="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
bench_require bench_record_reads "$NODE" "$CTL" "$NGHTTPD" "$(command -v h2load)"

bench_pin_cpus

bench_tmp


NODE_PORT="$(free_port)"
bench_node_conf "$TMP/node.conf" "$TMP/data" "$NODE_PORT"
TOKEN="$("$NODE" init --config "$TMP/node.conf" | tail -n 1)"
"${SERVER_CPU[@]}" "$NODE" --config "$TMP/node.conf" 2>"$TMP/node.log" &
NODE_PID=$!
wait_port "$NODE_PORT"
URL="http://127.0.0.1:$NODE_PORT"

# Records of one shape (same subject length), so bodies differ only by the
# CBOR width of their indexes; nghttpd serves each record's own bytes at the
# same path, so both servers send exactly the same bodies.
mkdir -p "$TMP/www/v1/credentials"
for i in $(seq "$R"); do
    "$CTL" --node "$URL" --token "$TOKEN" credential issue --email "bench$(printf %04d "$i")@district.example" \
        --definition bench-def --version 1 --content-hash "$(printf 'ab%.0s' $(seq 32))" \
        --level pass --ceu 1.5 >/dev/null
    # A record by row id is read with an admin's (or its earner's) token.
    curl -sf --http2-prior-knowledge -H "authorization: Bearer $TOKEN" \
        "$URL/v1/credentials/$i" > "$TMP/www/v1/credentials/$i"
    echo "/v1/credentials/$i" >> "$TMP/paths.txt"
done
SIZES="$(stat -c %s "$TMP"/www/v1/credentials/* | sort -n | sed -n '1p;$p' | paste -sd- -)"

NG_PORT="$(free_port)"
"${SERVER_CPU[@]}" "$NGHTTPD" --no-tls -d "$TMP/www" "$NG_PORT" >/dev/null 2>&1 &
NGHTTPD_PID=$!
wait_port "$NG_PORT"
sed "s#^#$URL#" "$TMP/paths.txt" > "$TMP/node_uris.txt"
sed "s#^#http://127.0.0.1:$NG_PORT#" "$TMP/paths.txt" > "$TMP/ng_uris.txt"

# One round against server $1 (pid $2, uri list $3, then h2load options):
# prints "req/s req/cpu-s".
round() {
    local before after out ok
    before="$(cpu_ticks "$2")"
    out="$("${CLIENT_CPU[@]}" h2load -n "$N" -c "$C" -m "$M" -i "$3" "${@:4}")"
    after="$(cpu_ticks "$2")"
    ok="$(succeeded <<<"$out")"
    [ "$ok" = "$N" ] || { echo "bench_record_reads: $1: only $ok of $N succeeded" >&2; exit 1; }
    awk -v r="$(rate <<<"$out")" -v n="$N" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%s %.0f\n", r, (t > 0 ? n * hz / t : 0) }'
}

echo "bench_record_reads: $R records of $SIZES bytes, h2load -n $N -c $C -m $M, loopback," \
     "median of $ROUNDS alternating rounds${SERVER_CPU:+, server on CPU 1 and h2load on CPU 0}"
"${CLIENT_CPU[@]}" h2load -n "$N" -c "$C" -m "$M" -i "$TMP/node_uris.txt" \
    -H "authorization: Bearer $TOKEN" >/dev/null
"${CLIENT_CPU[@]}" h2load -n "$N" -c "$C" -m "$M" -i "$TMP/ng_uris.txt" >/dev/null
NODE_RATES=() NG_RATES=() NODE_CPU=() NG_CPU=() RATIOS=()
for _ in $(seq "$ROUNDS"); do
    res="$(round accord-node "$NODE_PID" "$TMP/node_uris.txt" -H "authorization: Bearer $TOKEN")"
    read -r a ac <<<"$res"
    res="$(round nghttpd "$NGHTTPD_PID" "$TMP/ng_uris.txt")"
    read -r b bc <<<"$res"
    NODE_RATES+=("$a") NG_RATES+=("$b") NODE_CPU+=("$ac") NG_CPU+=("$bc")
    RATIOS+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')")
done
NODE_RPS="$(median "${NODE_RATES[@]}")" NG_RPS="$(median "${NG_RATES[@]}")"
NODE_CPS="$(median "${NODE_CPU[@]}")" NG_CPS="$(median "${NG_CPU[@]}")"
printf 'accord-node GET /v1/credentials/{id}: %s req/s (spread %s); %s req per CPU-second\n' \
    "$NODE_RPS" "$(spread "${NODE_RATES[@]}")" "$NODE_CPS"
printf 'nghttpd     GET /v1/credentials/{id}: %s req/s (spread %s); %s req per CPU-second\n' \
    "$NG_RPS" "$(spread "${NG_RATES[@]}")" "$NG_CPS"
printf 'per-round ratios: %s\n' "${RATIOS[*]}"
awk -v a="$NODE_RPS" -v b="$NG_RPS" -v c="$NODE_CPS" -v d="$NG_CPS" 'BEGIN {
    printf "ratio record_reads = %.2f (medians of req/s; target >= 0.80)\n", a / b
    printf "ratio record_reads by server CPU = %.2f (medians of req per CPU-second)\n", c / d }'
