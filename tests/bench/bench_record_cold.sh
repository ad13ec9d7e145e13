#!/usr/bin/env bash
# bench_record_cold.sh - record reads by random id where EVERY read misses
# the node's record cache: two builds of accord-node and nghttpd (serving
# each record's stored bytes at the same paths) alternating on the same data
# directory (filled by bench_million.sh through BENCH_DATA). Loopback only.
#
# bench_record_ab.sh's "cold ids" are mostly cache hits: h2load gives every
# client the URI list from its start, so with -c 4 the four connections ask
# the same ids in the same order and only the first of them misses. Here
# four h2load processes (-c 1 -m 8 each) run in parallel, each with its own
# 25,000 ids (READS / 4), none of them in the warm-up's (WARM ids), so no id
# is asked twice (docs/record-reads.md, "Cold reads on the loop").
#
# The figure compared is requests per server CPU-second (every thread, from
# /proc/PID/stat), with the rate beside it; servers on CPU 1, h2load on CPU 0
# when two CPUs exist; the database (or nghttpd's files) read once before each
# run, so both servers read from the page cache.
#
# Usage: tests/bench/bench_record_cold.sh NODE_A NODE_B DATA_DIR
#   DATA_DIR: bench_million.sh's BENCH_DATA (data/, admin.token, fill.out).
#   env: READS (100000, a multiple of 4), WARM (20000), ROUNDS (3).
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 NODE_A NODE_B DATA_DIR" >&2; exit 2; }
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
A="$1" B="$2" KEEP="$3"
READS="${READS:-100000}" WARM="${WARM:-20000}" ROUNDS="${ROUNDS:-3}"
bench_require bench_record_cold "$A" "$B" "$(command -v nghttpd || echo /usr/sbin/nghttpd)" \
    "$(command -v h2load)" "$(command -v curl)"
bench_filled_data bench_record_cold "$KEEP"
bench_pin_cpus
bench_tmp
PORT="$(free_port)" NG_PORT="$(free_port)"
bench_node_conf "$TMP/node.conf" "$KEEP/data" "$PORT"
# Distinct random ids: WARM for the warm-up, then READS split in four; each
# record's stored bytes as nghttpd's file at the node's path.
/usr/bin/python3 - "$FIRST" "$LAST" "$WARM" "$READS" "$TMP" "$KEEP/data/accord.db" <<'PY'
import os, random, sqlite3, sys
first, last, warm, reads = (int(v) for v in sys.argv[1:5])
tmp, db = sys.argv[5], sys.argv[6]
ids = random.Random(7).sample(range(first, last + 1), warm + reads)
with open(os.path.join(tmp, "warm_ids"), "w") as f:
    f.writelines("%d\n" % i for i in ids[:warm])
part = reads // 4
for k in range(4):
    with open(os.path.join(tmp, "ids%d" % k), "w") as f:
        f.writelines("%d\n" % i for i in ids[warm + k * part:warm + (k + 1) * part])
www = os.path.join(tmp, "www", "v1", "credentials")
os.makedirs(www)
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
for i in ids:
    (cose,) = con.execute("SELECT cose FROM records WHERE id = ?", (i,)).fetchone()
    with open(os.path.join(www, str(i)), "wb") as out:
        out.write(cose)
PY

# The warm-up, then the four parallel loads against the server on port $1
# (pid $PID); the rest of the arguments go to h2load. Prints "RATE
# REQ_PER_CPU_SECOND".
load() {
    local port=$1 k t0 t1 s e ok pids=()
    shift
    sed "s|^|http://127.0.0.1:$port/v1/credentials/|" "$TMP/warm_ids" > "$TMP/u_warm"
    for k in 0 1 2 3; do
        sed "s|^|http://127.0.0.1:$port/v1/credentials/|" "$TMP/ids$k" > "$TMP/u_$k"
    done
    "${CLIENT_CPU[@]}" h2load -n "$WARM" -c 4 -m 8 "$@" -i "$TMP/u_warm" >/dev/null 2>&1
    s=$(date +%s.%N)
    t0=$(cpu_ticks "$PID")
    for k in 0 1 2 3; do
        "${CLIENT_CPU[@]}" h2load -n $((READS / 4)) -c 1 -m 8 "$@" -i "$TMP/u_$k" > "$TMP/out_$k" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
    t1=$(cpu_ticks "$PID")
    e=$(date +%s.%N)
    ok=$(cat "$TMP"/out_* | awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /succeeded/) s += $i } END { print s + 0 }')
    [ "$ok" -eq "$READS" ] || { echo "bench_record_cold: $ok of $READS reads succeeded" >&2; exit 1; }
    awk -v ok="$ok" -v s="$s" -v e="$e" -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (ticks < 1) ticks = 1; printf "%.0f %.0f\n", ok / (e - s), ok / (ticks / hz) }'
}

run_node() {
    bench_start_node "$1" "$TMP/node.conf" "$KEEP/data" "$PORT"
    load "$PORT" -H "authorization: Bearer $ADMIN"
    bench_stop
}

run_nghttpd() {
    bench_start_nghttpd "$TMP/www" "$NG_PORT"
    load "$NG_PORT"
    bench_stop
}

RA=() CA=() RB=() CB=() RN=() CN=()
echo "bench_record_cold: $READS reads of distinct random ids of $FIRST-$LAST (4 x h2load -c 1 -m 8), $ROUNDS alternating rounds; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    read -r r c < <(run_node "$A"); RA+=("$r"); CA+=("$c")
    read -r r2 c2 < <(run_node "$B"); RB+=("$r2"); CB+=("$c2")
    read -r r3 c3 < <(run_nghttpd); RN+=("$r3"); CN+=("$c3")
    echo "bench_record_cold: round $round: A $r req/s, $c req per CPU-second; B $r2, $c2; nghttpd $r3, $c3"
done
MA=$(median "${CA[@]}") MB=$(median "${CB[@]}") MN=$(median "${CN[@]}")
RMN=$(median "${RN[@]}")
echo "bench_record_cold: median A $(median "${RA[@]}") req/s, $MA req per CPU-second; B $(median "${RB[@]}"), $MB; nghttpd $RMN, $MN"
for side in A B; do
    if [ "$side" = A ]; then r=$(median "${RA[@]}") c="$MA"; else r=$(median "${RB[@]}") c="$MB"; fi
    echo "bench_record_cold: ratio record_reads_every_miss $side/nghttpd = $(ratio "$r" "$RMN") by rate," \
         "$(ratio "$c" "$MN") by server CPU (target >= 0.80)"
done
echo "bench_record_cold: load $(cut -d' ' -f1-3 /proc/loadavg)"
