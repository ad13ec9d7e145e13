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
. "$ROOT/tests/bench/lib.sh"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
D="${D:-5}" C_R="${C_R:-2}" C_W="${C_W:-4}" M_W="${M_W:-8}"
NODE="$BUILD/node/accord-node"
bench_require bench_write_storm "$NODE" "$(command -v h2load)"

bench_tmp

run_mode() {
    local mode="$1" port dir
    port="$(free_port)"
    dir="$TMP/$mode"
    mkdir -p "$dir"
    bench_node_conf "$dir/node.conf" "$dir/data" "$port" "durability = $mode"
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
    echo "bench_write_storm: $mode: ratio read rate storm/alone $(ratio "$storm_rate" "$alone_rate" 3)," \
         "ratio read p99 storm/alone $(ratio "$ps" "$pa" 3)"
    kill "$NODE_PID"
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
}

echo "bench_write_storm: reader h2load -D $D -c $C_R -m 1 GET /v1/node; storm h2load -c $C_W -m $M_W POST /v1/users/1/tokens; loopback"
run_mode async
run_mode inline
