#!/usr/bin/env bash
# bench_write_storm.sh - a cheap read (GET /v1/node) while a write storm runs,
# against the same read without writes, in one run, for durability = async
# (fsync on the storage thread) and inline (fsync on the loop thread).
# The storm is h2load creating tokens (each one commit: token and audit row)
# on C_W connections; the reader is h2load on C_R connections, one request in
# flight each, for D seconds. Prints each read rate and p99 (from h2load's
# per-request log), the writes/s the storm achieved, and the ratios
# (storm / alone) of read rate and p99. Loopback only.
# Usage: tests/bench/bench_write_storm.sh [BUILD_DIR]   (env D, C_R, C_W, M_W override)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
D="${D:-5}" C_R="${C_R:-2}" C_W="${C_W:-4}" M_W="${M_W:-8}"
NODE="$BUILD/node/accord-node"
for b in "$NODE" "$(command -v h2load)"; do
    [ -x "$b" ] || { echo "bench_write_storm: $b missing (build, or run tools/setup.sh)"; exit 1; }
done

TMP="$(mktemp -d)"
NODE_PID=""
cleanup() {
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rate() { awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { v = $(i-1); gsub(",", "", v); print v } }'; }
# p99 in ms of the successful requests in an h2load --log-file.
p99() { awk -F'\t' '$2 == 200 || $2 == 201 { print $3 }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f\n", v[i] / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f\n", a / b; else print "nan" }'; }

run_mode() {
    local mode="$1" port dir
    port="$(free_port)"
    dir="$TMP/$mode"
    mkdir -p "$dir"
    cat > "$dir/node.conf" <<CONF
[node]
id = bench.example
data_dir = $dir/data
durability = $mode
[http]
listen = 127.0.0.1:$port
[limits]
max_concurrent_streams = 256
[log]
level = warn
CONF
    local admin
    admin="$("$NODE" init --config "$dir/node.conf" | tail -1)"
    "$NODE" --config "$dir/node.conf" 2>"$dir/node.log" &
    NODE_PID=$!
    wait_port "$port"
    local url="http://127.0.0.1:$port"
    printf '{"label":"storm"}' > "$dir/body.json"
    # Warm up, then the read alone.
    h2load -n 2000 -c "$C_R" -m 1 "$url/v1/node" >/dev/null
    local alone_rate storm_rate writes
    alone_rate="$(h2load -D "$D" -c "$C_R" -m 1 --log-file="$dir/alone.log" "$url/v1/node" | rate)"
    # The storm starts first and outlasts the reader.
    h2load -D "$((D + 2))" -c "$C_W" -m "$M_W" -d "$dir/body.json" \
        -H "authorization: Bearer $admin" -H "content-type: application/json" \
        "$url/v1/users/1/tokens" > "$dir/storm.out" &
    local storm_pid=$!
    sleep 1
    storm_rate="$(h2load -D "$D" -c "$C_R" -m 1 --log-file="$dir/storm.log" "$url/v1/node" | rate)"
    wait "$storm_pid"
    writes="$(rate < "$dir/storm.out")"
    local pa ps
    pa="$(p99 "$dir/alone.log")"
    ps="$(p99 "$dir/storm.log")"
    local fsyncs
    fsyncs="$(curl -s --http2-prior-knowledge -H "authorization: Bearer $admin" "$url/metrics" |
              awk '/^accord_store_fsyncs_total/ { print $2 } /^accord_store_commits_total/ { c = $2 } END { }')"
    echo "bench_write_storm: $mode: read alone ${alone_rate} req/s p99 ${pa} ms;" \
         "during storm ${storm_rate} req/s p99 ${ps} ms; storm ${writes} writes/s; storage-thread fsyncs ${fsyncs}"
    echo "bench_write_storm: $mode: ratio read rate storm/alone $(ratio "$storm_rate" "$alone_rate")," \
         "ratio read p99 storm/alone $(ratio "$ps" "$pa")"
    kill "$NODE_PID"
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
}

echo "bench_write_storm: reader h2load -D $D -c $C_R -m 1 GET /v1/node; storm h2load -c $C_W -m $M_W POST /v1/users/1/tokens; loopback"
run_mode async
run_mode inline
