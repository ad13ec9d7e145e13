#!/usr/bin/env bash
# bench_writes.sh - authenticated writes per second through the API against
# the raw engine doing the same transactions, and a cheap read's p99 while
# those writes storm against the same read when quiet, on SQLite (durability
# = async: the storage thread fsyncs commits in groups) and on PostgreSQL,
# all in one run on one machine, loopback only.
#
# The write is POST /v1/users/1/tokens as the admin (a bearer token checked,
# then one transaction: the user read, a token row and an audit row; the
# answer waits for the commit to be durable; concurrent requests share one
# COMMIT, run on the store's writer thread): h2load on C_W connections with
# M_W requests in flight each, for D seconds. The raw side is bench_writes
# (tests/bench/bench_writes.c): the same core/store calls, hence the same SQL
# statements, one transaction after another on one connection, on a database
# `accord-node init` made beside the node's; on SQLite twice: with group
# commit (the store's storage thread, as the node runs it: the anchor of the
# target) and with every commit fsynced before the next (synchronous=FULL);
# the raw runs come before the node starts and after it stops, and the
# better of the two is the anchor.
# The read is GET /v1/node on C_R connections, one request in flight each,
# p99 from h2load's per-request log: alone, then while a storm runs, at each
# write load of LOADS (C_WxM_W: connections x requests in flight each; the
# default "1x1 4x8 16x16"), one after another in the same run, each p99 with
# its ratio to the quiet one: a p99 that does not grow with the load is what
# the group commit's one handler per loop turn is for (docs/architecture.md,
# "Storage threads").
# Prints figures and ratios against their anchors from this run; asserts
# nothing about time.
#
# PostgreSQL: a throwaway PostgreSQL 15 server (tests/lib/pgserver.py) with
# fsync on (ACCORD_PG_DURABLE=1), on a unix socket; the script runs itself
# again inside it. Without PostgreSQL 15 installed only SQLite is measured.
# Usage: tests/bench/bench_writes.sh [BUILD_DIR]   (env D, C_R, C_W, M_W, LOADS
# override; C_W x M_W is the load of the API writes/s against raw)
# The tokens are a throwaway admin's of temporary nodes, so passing one to
# h2load on its command line shows nothing worth hiding.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/tests/bench/lib.sh"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
D="${D:-5}" C_R="${C_R:-2}" C_W="${C_W:-4}" M_W="${M_W:-8}" LOADS="${LOADS:-1x1 4x8 16x16}"
NODE="$BUILD/node/accord-node"
RAW="$BUILD/tests/bench_writes"
PG_BIN=/usr/lib/postgresql/15/bin
bench_require bench_writes "$NODE" "$RAW" "$(command -v h2load)"

# Outside a PostgreSQL server of its own: start one and run again inside it.
if [ -z "${ACCORD_TEST_PG_URL:-}" ] && [ -x "$PG_BIN/postgres" ]; then
    export ACCORD_PG_DURABLE=1
    exec /usr/bin/python3 "$ROOT/tests/lib/pgserver.py" -- bash "${BASH_SOURCE[0]}" "$BUILD"
fi

bench_tmp

# Requests answered 2xx per second: h2load's rate counts failures too.
ok_rate() { awk '/^finished in/ { s = $3; sub(/,$/, "", s); if (s ~ /ms$/) { sub(/ms$/, "", s); s /= 1000 } else sub(/s$/, "", s) }
                 /^status codes:/ { ok = $3 }
                 END { if (s > 0) printf "%.1f\n", ok / s; else print "nan" }'; }

# pg_db NAME: creates database NAME on this run's server; prints its URL.
pg_db() {
    "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$ACCORD_TEST_PG_URL" -c "CREATE DATABASE $1" >/dev/null
    echo "${ACCORD_TEST_PG_URL/\/postgres\?//$1?}"
}

# conf DIR ENGINE TARGET PORT: a node's config; TARGET is the PostgreSQL URL.
conf() {
    if [ "$2" = postgresql ]; then
        bench_node_conf "$1/node.conf" "$1/data" "$4" "[store]" "engine = postgresql" "url = $3"
    else
        bench_node_conf "$1/node.conf" "$1/data" "$4"
    fi
}

run_engine() {
    local engine="$1" dir="$TMP/$1" port api_url raw_url raw_target
    port="$(free_port)"
    mkdir -p "$dir/api" "$dir/raw"
    if [ "$engine" = postgresql ]; then
        api_url="$(pg_db bench_api)"
        raw_url="$(pg_db bench_raw)"
        raw_target="$raw_url"
    else
        api_url="" raw_url=""
        raw_target="$dir/raw/data/accord.db"
    fi
    conf "$dir/api" "$engine" "$api_url" "$port"
    conf "$dir/raw" "$engine" "$raw_url" "$(free_port)"
    local admin
    admin="$("$NODE" init --config "$dir/api/node.conf" | tail -1)"
    "$NODE" init --config "$dir/raw/node.conf" >/dev/null

    # The raw engine before the node runs and again after it stopped, with
    # nothing else of this script running; the anchor is the better of the
    # two (the disk is shared: a neighbour's fsyncs slow one or the other).
    local raw_mode=""
    [ "$engine" = sqlite ] && raw_mode=group
    local raw_out raw each_out="" each=""
    raw_out="$("$RAW" "$engine" "$raw_target" bench.example "$D" $raw_mode)"

    "$NODE" --config "$dir/api/node.conf" 2>"$dir/node.log" &
    NODE_PID=$!
    wait_port "$port"
    local url="http://127.0.0.1:$port" auth="authorization: Bearer $admin"
    printf '{"label":"storm"}' > "$dir/body.json"
    local storm=(h2load -d "$dir/body.json" -H "$auth" -H "content-type: application/json"
                 "$url/v1/users/1/tokens")
    # Warm up both routes, then the read alone and the writes alone.
    h2load -n 2000 -c "$C_R" -m 1 "$url/v1/node" >/dev/null
    "${storm[@]}" -c "$C_W" -m "$M_W" -n 200 >/dev/null
    h2load -D "$D" -c "$C_R" -m 1 --log-file="$dir/quiet.log" "$url/v1/node" >/dev/null
    local api pq
    api="$("${storm[@]}" -c "$C_W" -m "$M_W" -D "$D" | ok_rate)"
    pq="$(p99 "$dir/quiet.log")"
    # The read during a storm at each load: the storm starts first and
    # outlasts the reader.
    local rows="" load c m during ps
    for load in $LOADS; do
        c="${load%x*}" m="${load#*x}"
        "${storm[@]}" -c "$c" -m "$m" -D "$((D + 2))" > "$dir/storm-$load.out" &
        local storm_pid=$!
        sleep 1
        h2load -D "$D" -c "$C_R" -m 1 --log-file="$dir/storm-$load.log" "$url/v1/node" >/dev/null
        wait "$storm_pid"
        during="$(ok_rate < "$dir/storm-$load.out")"
        ps="$(p99 "$dir/storm-$load.log")"
        rows+="bench_writes: $engine: GET /v1/node p99 during writes ${load}: ${ps} ms"
        rows+=" ($(ratio "$ps" "$pq") x quiet) at ${during} writes/s"$'\n'
    done
    kill "$NODE_PID"
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=""
    raw_out="$raw_out / $("$RAW" "$engine" "$raw_target" bench.example "$D" $raw_mode)"
    raw="$(awk -F' / ' '{ split($1, a, " "); split($2, b, " "); print (a[4] > b[4] ? a[4] : b[4]) }' <<<"$raw_out")"
    if [ "$engine" = sqlite ]; then
        each_out="$("$RAW" "$engine" "$raw_target" bench.example "$D")"
        each="$(awk '{ print $4 }' <<<"$each_out")"
    fi
    if [ "$engine" = sqlite ]; then
        echo "bench_writes: sqlite: API (group commit) ${api} writes/s; raw engine with group" \
             "commit ${raw} writes/s ($raw_out), raw with an fsync per commit ${each} writes/s" \
             "($each_out)"
    else
        echo "bench_writes: postgresql: API ${api} writes/s; raw engine ${raw} writes/s ($raw_out)"
    fi
    echo "bench_writes: $engine: GET /v1/node p99 quiet ${pq} ms"
    printf '%s' "$rows"
    echo "bench_writes: $engine: ratio API/raw writes $(ratio "$api" "$raw") (target >= 0.5)"
    [ "$engine" = sqlite ] && echo "bench_writes: sqlite: ratio API (group commit)/raw with an" \
         "fsync per commit $(ratio "$api" "$each")"
    return 0
}

echo "bench_writes: writes h2load -c $C_W -m $M_W POST /v1/users/1/tokens for $D s;" \
     "raw bench_writes (same store calls, one connection, sequential); reads h2load -c $C_R -m 1" \
     "GET /v1/node for $D s, quiet and during writes at loads (-c x -m) $LOADS; loopback"
run_engine sqlite
if [ -n "${ACCORD_TEST_PG_URL:-}" ]; then
    run_engine postgresql
else
    echo "bench_writes: PostgreSQL 15 is not installed; only SQLite was measured"
fi
