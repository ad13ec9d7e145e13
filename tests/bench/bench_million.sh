#!/usr/bin/env bash
# bench_million.sh - a node holding N credential records (default 1,000,000),
# filled through the node's own issuing code (bench_fill): the issue rate at N
# against the first 1,000, the node's resident memory after start and after
# 100,000 record reads by random id (h2load, an admin token), their rate, and
# the time of an inclusion proof at N (median of 21, curl). Loopback only.
# Usage: tests/bench/bench_million.sh [BUILD_DIR] [N]
#   BENCH_DATA=DIR keeps the filled data directory, admin token and fill
#   report in DIR and reuses them when DIR already holds N records (a fill of
#   1,000,000 takes 6-10 minutes); without it everything is in a temporary
#   directory removed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
N="${2:-1000000}"
NODE="$BUILD/node/accord-node"
FILL="$BUILD/tests/bench_fill"
for b in "$NODE" "$FILL" "$(command -v h2load)" "$(command -v curl)"; do
    [ -x "$b" ] || { echo "bench_million: $b missing (build, or run tools/setup.sh)"; exit 1; }
done
TMP="$(mktemp -d)"
KEEP="${BENCH_DATA:-$TMP/keep}"
mkdir -p "$KEEP"
NODE_PID=""
cleanup() {
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
rate() { awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { v = $(i-1); gsub(",", "", v); print v } }'; }
rss_mib() { awk '/^VmRSS/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }

PORT="$(free_port)"
cat > "$TMP/node.conf" <<CONF
[node]
id = bench.example
data_dir = $KEEP/data
[http]
listen = 127.0.0.1:$PORT
[limits]
max_concurrent_streams = 256
[log]
level = warn
CONF
if [ -s "$KEEP/fill.out" ] && grep -qx "issued $N" "$KEEP/fill.out" && [ -s "$KEEP/admin.token" ]; then
    echo "bench_million: reusing the $N records filled in $KEEP"
    cat "$KEEP/fill.out"
else
    rm -rf "$KEEP/data" "$KEEP/fill.out" "$KEEP/admin.token"
    (umask 077; "$NODE" init --config "$TMP/node.conf" | tail -1 > "$KEEP/admin.token")
    echo "bench_million: filling $N records through the issuing code"
    START=$(date +%s)
    "$FILL" --config "$TMP/node.conf" --count "$N" | tee "$KEEP/fill.out.tmp"
    mv "$KEEP/fill.out.tmp" "$KEEP/fill.out"
    echo "bench_million: filled in $(( $(date +%s) - START )) s; database $(du -sh "$KEEP/data" | cut -f1)"
fi
ADMIN="$(cat "$KEEP/admin.token")"
FIRST=$(awk '/^first_id/ { print $2 }' "$KEEP/fill.out")
LAST=$(awk '/^last_id/ { print $2 }' "$KEEP/fill.out")

"$NODE" --config "$TMP/node.conf" 2>"$TMP/node.log" &
NODE_PID=$!
wait_port "$PORT"
URL="http://127.0.0.1:$PORT"
curl -s --http2-prior-knowledge "$URL/healthz" >/dev/null
RSS_START="$(rss_mib "$NODE_PID")"
# 1,000 random ids, cycled through by h2load.
/usr/bin/python3 -c "import random,sys; r=random.Random(1); [print('$URL/v1/credentials/%d' % r.randint($FIRST, $LAST)) for _ in range(1000)]" > "$TMP/urls"
READ_RATE="$(h2load -n 100000 -c 4 -m 8 -H "authorization: Bearer $ADMIN" -i "$TMP/urls" | tee "$TMP/reads.out" | rate)"
grep -E "^requests:" "$TMP/reads.out"
RSS_READS="$(rss_mib "$NODE_PID")"
PROOF_MS="$(for i in $(seq 21); do
    id=$(( FIRST + (RANDOM * 32768 + RANDOM) % (LAST - FIRST + 1) ))
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --http2-prior-knowledge -H "authorization: Bearer $ADMIN" "$URL/v1/credentials/$id/inclusion"
done | awk '$1 != 200 { print "bench_million: inclusion proof answered " $1 > "/dev/stderr" } $1 == 200 { print $2 }' |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.2f\n", v[int((NR + 1) / 2)] * 1000 }')"
echo "bench_million: N $N: RSS after start ${RSS_START} MiB, after 100,000 record reads ${RSS_READS} MiB (target < 64)"
echo "bench_million: N $N: record reads by random id ${READ_RATE} req/s; inclusion proof ${PROOF_MS} ms (median of 21)"
grep ratio "$KEEP/fill.out"
