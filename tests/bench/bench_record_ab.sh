#!/usr/bin/env bash
# bench_record_ab.sh - two builds of accord-node, one after the other on the
# same data directory (filled by bench_million.sh through BENCH_DATA), read
# by h2load GETting records by random id (GET /v1/credentials/{id}, an admin
# token): the node CPU each request costs, before and after a change.
# Loopback only.
#
# On a shared machine the request rate follows the load others put on it, so
# the figure compared is requests per node CPU-second (utime + stime of every
# thread, from /proc/PID/stat), with the rate beside it. Rounds alternate A
# and B so that load from others hits both alike; each run starts a fresh
# node, warms it with WARM requests of the same list, then measures READS.
# The node runs on CPU 1 and h2load on CPU 0 (taskset) when two CPUs exist.
# Before each run the files served are read once (the database, or
# nghttpd's files), so that both servers read from the page cache: a
# profile of the node showed disk reads under SQLite's pread when the
# database had left it, CPU time nghttpd, serving files just written, did
# not pay.
#
# With NGHTTPD=1, nghttpd serving each record's bytes (exported from the
# database) at the same paths runs third in every round, and each build is
# compared with it too: by rate and by server CPU per request (the target of
# docs/record-reads.md: at least 0.8).
#
# Usage: tests/bench/bench_record_ab.sh NODE_A NODE_B DATA_DIR
#   DATA_DIR: bench_million.sh's BENCH_DATA (data/, admin.token, fill.out).
#   env: IDS (random ids, 100000: most miss the 32,768-slot record cache;
#   1000 reads the hot path), READS (100000), WARM (20000), C and M (h2load
#   connections and streams each, 4 and 8), ROUNDS (3), NGHTTPD (0).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 NODE_A NODE_B DATA_DIR" >&2; exit 2; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
A="$1" B="$2" KEEP="$3"
IDS="${IDS:-100000}" READS="${READS:-100000}" WARM="${WARM:-20000}"
C="${C:-4}" M="${M:-8}" ROUNDS="${ROUNDS:-3}" NGHTTPD="${NGHTTPD:-0}"
bench_require bench_record_ab "$A" "$B" "$(command -v h2load)" "$(command -v curl)"
[ "$NGHTTPD" = 1 ] && bench_require bench_record_ab "$(command -v nghttpd || echo /usr/sbin/nghttpd)"
bench_filled_data bench_record_ab "$KEEP"
bench_pin_cpus
bench_tmp
PORT="$(free_port)"
bench_node_conf "$TMP/node.conf" "$KEEP/data" "$PORT"
NG_PORT="$(free_port)"
# The URI lists of both servers, and (NGHTTPD=1) each record's stored bytes as
# nghttpd's file at the node's path: the node serves the stored COSE unchanged.
/usr/bin/python3 - "$FIRST" "$LAST" "$IDS" "http://127.0.0.1:$PORT" "http://127.0.0.1:$NG_PORT" \
    "$TMP" "$NGHTTPD" "$KEEP/data/accord.db" <<'PY'
import os, random, sqlite3, sys
first, last, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
base, ng_base, tmp, export, db = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7] == "1", sys.argv[8]
ids = random.Random(1).sample(range(first, last + 1), count)
with open(os.path.join(tmp, "uris"), "w") as f:
    f.writelines("%s/v1/credentials/%d\n" % (base, i) for i in ids)
with open(os.path.join(tmp, "ng_uris"), "w") as f:
    f.writelines("%s/v1/credentials/%d\n" % (ng_base, i) for i in ids)
if export:
    www = os.path.join(tmp, "www", "v1", "credentials")
    os.makedirs(www)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    for i in ids:
        (cose,) = con.execute("SELECT cose FROM records WHERE id = ?", (i,)).fetchone()
        with open(os.path.join(www, str(i)), "wb") as out:
            out.write(cose)
PY

# One run of node $1: prints "RATE REQ_PER_CPU_SECOND".
run() {
    bench_start_node "$1" "$TMP/node.conf" "$KEEP/data" "$PORT"
    "${CLIENT_CPU[@]}" h2load -n "$WARM" -c "$C" -m "$M" -H "authorization: Bearer $ADMIN" \
        -i "$TMP/uris" >/dev/null 2>&1
    local t0 t1 out
    t0=$(cpu_ticks "$PID")
    out=$("${CLIENT_CPU[@]}" h2load -n "$READS" -c "$C" -m "$M" \
        -H "authorization: Bearer $ADMIN" -i "$TMP/uris" 2>&1)
    t1=$(cpu_ticks "$PID")
    bench_stop
    rate_per_cpu $((t1 - t0)) <<<"$out"
}

# One run of nghttpd on the exported files: prints "RATE REQ_PER_CPU_SECOND".
run_nghttpd() {
    bench_start_nghttpd "$TMP/www" "$NG_PORT"
    "${CLIENT_CPU[@]}" h2load -n "$WARM" -c "$C" -m "$M" -i "$TMP/ng_uris" >/dev/null 2>&1
    local t0 t1 out
    t0=$(cpu_ticks "$PID")
    out=$("${CLIENT_CPU[@]}" h2load -n "$READS" -c "$C" -m "$M" -i "$TMP/ng_uris" 2>&1)
    t1=$(cpu_ticks "$PID")
    bench_stop
    rate_per_cpu $((t1 - t0)) <<<"$out"
}

if [ "$NGHTTPD" = 1 ]; then
    # Same bytes: a few of node A's answers against nghttpd's files.
    bench_start_node "$A" "$TMP/node.conf" "$KEEP/data" "$PORT"
    for u in $(head -3 "$TMP/uris"); do
        curl -sf --http2-prior-knowledge -H "authorization: Bearer $ADMIN" "$u" -o "$TMP/check"
        cmp -s "$TMP/check" "$TMP/www${u#http://127.0.0.1:$PORT}" ||
            { echo "bench_record_ab: $u: node and nghttpd bytes differ" >&2; exit 1; }
    done
    bench_stop
fi

RA=() CA=() RB=() CB=() RN=() CN=()
echo "bench_record_ab: $IDS random ids of $FIRST-$LAST, h2load -n $READS -c $C -m $M, $ROUNDS alternating rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    read -r r c < <(run "$A"); RA+=("$r"); CA+=("$c")
    read -r r2 c2 < <(run "$B"); RB+=("$r2"); CB+=("$c2")
    echo "bench_record_ab: round $round: A $r req/s, $c req per CPU-second; B $r2 req/s, $c2 req per CPU-second"
    if [ "$NGHTTPD" = 1 ]; then
        read -r r3 c3 < <(run_nghttpd); RN+=("$r3"); CN+=("$c3")
        echo "bench_record_ab: round $round: nghttpd $r3 req/s, $c3 req per CPU-second"
    fi
done
MA=$(median "${CA[@]}") MB=$(median "${CB[@]}")
echo "bench_record_ab: median A $(median "${RA[@]}") req/s, $MA req per CPU-second ($(awk -v c="$MA" 'BEGIN { printf "%.1f", 1e6 / c }') us each)"
echo "bench_record_ab: median B $(median "${RB[@]}") req/s, $MB req per CPU-second ($(awk -v c="$MB" 'BEGIN { printf "%.1f", 1e6 / c }') us each)"
echo "bench_record_ab: B/A by CPU $(ratio "$MB" "$MA"); load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$NGHTTPD" = 1 ]; then
    MN=$(median "${CN[@]}") RMN=$(median "${RN[@]}")
    echo "bench_record_ab: median nghttpd $RMN req/s, $MN req per CPU-second ($(awk -v c="$MN" 'BEGIN { printf "%.1f", 1e6 / c }') us each)"
    for side in A B; do
        if [ "$side" = A ]; then r=$(median "${RA[@]}") c="$MA"; else r=$(median "${RB[@]}") c="$MB"; fi
        echo "bench_record_ab: ratio record_reads $side/nghttpd = $(ratio "$r" "$RMN") by rate," \
             "$(ratio "$c" "$MN") by server CPU (target >= 0.80)"
    done
fi
