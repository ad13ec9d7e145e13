#!/usr/bin/env bash
# bench_record_reads.sh - h2load GETting signed records by id from the node
# (GET /v1/credentials/{id}, ~100 records issued first) versus nghttpd serving
# a file of the same size, same machine, same run, loopback only. Prints both
# request rates and their ratio (target: at least 0.8).
# Usage: tests/bench/bench_record_reads.sh [BUILD_DIR]   (env N, C, M, R override)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
N="${N:-20000}" C="${C:-10}" M="${M:-10}" R="${R:-100}"
NODE="$BUILD/node/accord-node"
CTL="$BUILD/tools/accordctl"
NGHTTPD="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
for b in "$NODE" "$CTL" "$NGHTTPD" "$(command -v h2load)"; do
    [ -x "$b" ] || { echo "bench_record_reads: $b missing (build, or run tools/setup.sh)"; exit 1; }
done

TMP="$(mktemp -d)"
NODE_PID="" NGHTTPD_PID=""
cleanup() {
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
    [ -n "$NGHTTPD_PID" ] && kill "$NGHTTPD_PID" 2>/dev/null && wait "$NGHTTPD_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rate() { awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { v = $(i-1); gsub(",", "", v); print v } }'; }
succeeded() { awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /succeeded/) print $i }'; }

NODE_PORT="$(free_port)"
cat > "$TMP/node.conf" <<CONF
[node]
id = bench.example
data_dir = $TMP/data
[http]
listen = 127.0.0.1:$NODE_PORT
[limits]
max_concurrent_streams = 256
[log]
level = warn
CONF
TOKEN="$("$NODE" init --config "$TMP/node.conf" | tail -n 1)"
"$NODE" --config "$TMP/node.conf" 2>"$TMP/node.log" &
NODE_PID=$!
wait_port "$NODE_PORT"
URL="http://127.0.0.1:$NODE_PORT"

# Records of one shape (same subject length), so every body has the same size.
for i in $(seq "$R"); do
    "$CTL" --node "$URL" --token "$TOKEN" credential issue --subject "sha256\$bench$(printf %04d "$i")" \
        --definition bench-def --version 1 --content-hash "$(printf 'ab%.0s' $(seq 32))" \
        --level pass --ceu 1.5 >/dev/null 2>&1
    echo "$URL/v1/credentials/$i" >> "$TMP/uris.txt"
done

mkdir -p "$TMP/www"
curl -s --http2-prior-knowledge "$URL/v1/credentials/1" > "$TMP/www/record.cose"
SIZE=$(stat -c %s "$TMP/www/record.cose")
NG_PORT="$(free_port)"
"$NGHTTPD" --no-tls -d "$TMP/www" "$NG_PORT" >/dev/null 2>&1 &
NGHTTPD_PID=$!
wait_port "$NG_PORT"

echo "bench_record_reads: $R records, h2load -n $N -c $C -m $M, body $SIZE bytes, loopback"
h2load -n 1000 -c "$C" -m "$M" -i "$TMP/uris.txt" >/dev/null
h2load -n 1000 -c "$C" -m "$M" "http://127.0.0.1:$NG_PORT/record.cose" >/dev/null
NODE_OUT="$(h2load -n "$N" -c "$C" -m "$M" -i "$TMP/uris.txt")"
NG_OUT="$(h2load -n "$N" -c "$C" -m "$M" "http://127.0.0.1:$NG_PORT/record.cose")"
NODE_RPS="$(rate <<<"$NODE_OUT")"
NG_RPS="$(rate <<<"$NG_OUT")"
printf 'accord-node GET /v1/credentials/{id}: %s req/s (%s of %s succeeded)\n' \
    "$NODE_RPS" "$(succeeded <<<"$NODE_OUT")" "$N"
printf 'nghttpd     GET /record.cose:         %s req/s (%s of %s succeeded)\n' \
    "$NG_RPS" "$(succeeded <<<"$NG_OUT")" "$N"
awk -v a="$NODE_RPS" -v b="$NG_RPS" 'BEGIN { printf "ratio record_reads = %.2f (target >= 0.80)\n", a / b }'
