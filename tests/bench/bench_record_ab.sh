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
A="$1" B="$2" KEEP="$3"
IDS="${IDS:-100000}" READS="${READS:-100000}" WARM="${WARM:-20000}"
C="${C:-4}" M="${M:-8}" ROUNDS="${ROUNDS:-3}" NGHTTPD="${NGHTTPD:-0}"
NGHTTPD_BIN="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
if [ "$NGHTTPD" = 1 ] && [ ! -x "$NGHTTPD_BIN" ]; then
    echo "bench_record_ab: nghttpd missing" >&2; exit 1
fi
for b in "$A" "$B" "$(command -v h2load)" "$(command -v curl)"; do
    [ -x "$b" ] || { echo "bench_record_ab: $b missing" >&2; exit 1; }
done
[ -s "$KEEP/fill.out" ] && [ -s "$KEEP/admin.token" ] ||
    { echo "bench_record_ab: $KEEP holds no filled data (bench_million.sh with BENCH_DATA)" >&2; exit 1; }
SERVER_CPU=() CLIENT_CPU=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
    SERVER_CPU=(taskset -c 1) CLIENT_CPU=(taskset -c 0)
fi
TMP="$(mktemp -d)"
NODE_PID=""
cleanup() {
    [ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

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
ADMIN="$(cat "$KEEP/admin.token")"
FIRST=$(awk '/^first_id/ { print $2 }' "$KEEP/fill.out")
LAST=$(awk '/^last_id/ { print $2 }' "$KEEP/fill.out")
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
    cat "$KEEP/data/accord.db" "$KEEP/data/accord.db-wal" >/dev/null 2>&1 || true
    "${SERVER_CPU[@]}" "$1" --config "$TMP/node.conf" 2>"$TMP/node.log" &
    NODE_PID=$!
    for _ in $(seq 600); do
        curl -sf --http2-prior-knowledge "http://127.0.0.1:$PORT/healthz" >/dev/null && break
        sleep 0.1
    done
    "${CLIENT_CPU[@]}" h2load -n "$WARM" -c "$C" -m "$M" -H "authorization: Bearer $ADMIN" \
        -i "$TMP/uris" >/dev/null 2>&1
    local t0 t1 out
    t0=$(awk '{ print $14 + $15 }' "/proc/$NODE_PID/stat")
    out=$("${CLIENT_CPU[@]}" h2load -n "$READS" -c "$C" -m "$M" \
        -H "authorization: Bearer $ADMIN" -i "$TMP/uris" 2>&1)
    t1=$(awk '{ print $14 + $15 }' "/proc/$NODE_PID/stat")
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true; NODE_PID=""
    echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
        /^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { r = $(i-1); gsub(",", "", r) } }
        /^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /succeeded/) ok = $i }
        END { if (ticks < 1) ticks = 1; printf "%.0f %.0f\n", r, ok / (ticks / hz) }'
}

# One run of nghttpd on the exported files: prints "RATE REQ_PER_CPU_SECOND".
run_nghttpd() {
    find "$TMP/www" -type f -exec cat {} + >/dev/null
    "${SERVER_CPU[@]}" "$NGHTTPD_BIN" --no-tls -d "$TMP/www" "$NG_PORT" >/dev/null 2>&1 &
    NODE_PID=$!
    for _ in $(seq 600); do
        (exec 3<>/dev/tcp/127.0.0.1/"$NG_PORT") 2>/dev/null && break
        sleep 0.1
    done
    "${CLIENT_CPU[@]}" h2load -n "$WARM" -c "$C" -m "$M" -i "$TMP/ng_uris" >/dev/null 2>&1
    local t0 t1 out
    t0=$(awk '{ print $14 + $15 }' "/proc/$NODE_PID/stat")
    out=$("${CLIENT_CPU[@]}" h2load -n "$READS" -c "$C" -m "$M" -i "$TMP/ng_uris" 2>&1)
    t1=$(awk '{ print $14 + $15 }' "/proc/$NODE_PID/stat")
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true; NODE_PID=""
    echo "$out" | awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" '
        /^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { r = $(i-1); gsub(",", "", r) } }
        /^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /succeeded/) ok = $i }
        END { if (ticks < 1) ticks = 1; printf "%.0f %.0f\n", r, ok / (ticks / hz) }'
}

if [ "$NGHTTPD" = 1 ]; then
    # Same bytes: a few of node A's answers against nghttpd's files.
    "${SERVER_CPU[@]}" "$A" --config "$TMP/node.conf" 2>"$TMP/node.log" &
    NODE_PID=$!
    for _ in $(seq 600); do
        curl -sf --http2-prior-knowledge "http://127.0.0.1:$PORT/healthz" >/dev/null && break
        sleep 0.1
    done
    for u in $(head -3 "$TMP/uris"); do
        curl -sf --http2-prior-knowledge -H "authorization: Bearer $ADMIN" "$u" -o "$TMP/check"
        cmp -s "$TMP/check" "$TMP/www${u#http://127.0.0.1:$PORT}" ||
            { echo "bench_record_ab: $u: node and nghttpd bytes differ" >&2; exit 1; }
    done
    kill "$NODE_PID"; wait "$NODE_PID" 2>/dev/null || true; NODE_PID=""
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
echo "bench_record_ab: B/A by CPU $(awk -v a="$MA" -v b="$MB" 'BEGIN { printf "%.2f", b / a }'); load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$NGHTTPD" = 1 ]; then
    MN=$(median "${CN[@]}") RMN=$(median "${RN[@]}")
    echo "bench_record_ab: median nghttpd $RMN req/s, $MN req per CPU-second ($(awk -v c="$MN" 'BEGIN { printf "%.1f", 1e6 / c }') us each)"
    for side in A B; do
        if [ "$side" = A ]; then r=$(median "${RA[@]}") c="$MA"; else r=$(median "${RB[@]}") c="$MB"; fi
        echo "bench_record_ab: ratio record_reads $side/nghttpd = $(awk -v a="$r" -v b="$RMN" 'BEGIN { printf "%.2f", a / b }') by rate," \
             "$(awk -v a="$c" -v b="$MN" 'BEGIN { printf "%.2f", a / b }') by server CPU (target >= 0.80)"
    done
fi
