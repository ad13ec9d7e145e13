#!/usr/bin/env bash
# bench_million.sh - a node holding N credential records (default 1,000,000),
# filled through the node's own issuing code (bench_fill): the issue rate at N
# against the first 1,000, the node's resident memory after start and after
# 100,000 record reads by random id, the time of an inclusion proof at N
# (median of 21, curl), record reads by random id against nghttpd serving the
# very same bytes at the very same paths in the same run, and a cheap read's
# p99 alone and during a write storm. Loopback only.
#
# Record reads (GET /v1/credentials/{id}, an admin token) are measured for two
# sets of random ids, each against nghttpd: HOT ids (default 1,000: they fit
# the node's record cache, so after the first pass every read is answered
# from memory on the loop) and COLD ids (default 100,000, three times the
# cache's 32,768 slots, each read once per round: most reads miss and go to a
# reader thread and SQLite).
# nghttpd serves each record's bytes, exported from the database, as a file.
# ROUNDS rounds alternate node and nghttpd; medians are compared. When taskset
# and two CPUs exist, each server runs on CPU 1 and h2load on CPU 0. Besides
# rates, requests per server CPU-second (from /proc) are compared: the
# steadier figure when other processes steal time.
#
# The write storm: h2load creating tokens (one commit each) on 4×8 streams
# while h2load reads GET /v1/node on 2 connections, one request in flight
# each, against the same read without the storm (p99 from h2load's log).
#
# Usage: tests/bench/bench_million.sh [BUILD_DIR] [N]
#   BENCH_DATA=DIR keeps the filled data directory, admin token and fill
#   report in DIR and reuses them when DIR already holds N records (a fill of
#   1,000,000 takes 6-40 minutes); without it everything is in a temporary
#   directory removed at the end.
#   env: READS (requests per read run, 100000), C and M (h2load connections
#   and streams each, 4 and 8), HOT, COLD, ROUNDS (3), D (storm seconds, 5).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
N="${2:-1000000}"
READS="${READS:-100000}" C="${C:-4}" M="${M:-8}" HOT="${HOT:-1000}" COLD="${COLD:-100000}"
ROUNDS="${ROUNDS:-3}" D="${D:-5}"
NODE="$BUILD/node/accord-node"
FILL="$BUILD/tests/bench_fill"
NGHTTPD="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
. "$ROOT/tests/bench/lib.sh"
bench_require bench_million "$NODE" "$FILL" "$NGHTTPD" "$(command -v h2load)" "$(command -v curl)"
bench_pin_cpus
bench_tmp
KEEP="${BENCH_DATA:-$TMP/keep}"
mkdir -p "$KEEP"
rss_mib() { awk '/^VmRSS/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }

PORT="$(free_port)"
bench_node_conf "$TMP/node.conf" "$KEEP/data" "$PORT"
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
bench_filled_data bench_million "$KEEP"

# nghttpd's files: each record's exact bytes (the node serves the stored
# COSE unchanged), for HOT and COLD random ids, at the node's paths.
/usr/bin/python3 - "$KEEP/data/accord.db" "$TMP/www" "$FIRST" "$LAST" "$HOT" "$COLD" \
    "$TMP/hot.paths" "$TMP/cold.paths" <<'PY'
import os, random, sqlite3, sys
db, www, first, last, hot, cold, hot_out, cold_out = sys.argv[1:]
rnd = random.Random(1)
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
os.makedirs(os.path.join(www, "v1", "credentials"), exist_ok=True)
for count, out in ((int(hot), hot_out), (int(cold), cold_out)):
    ids = rnd.sample(range(int(first), int(last) + 1), count)
    with open(out, "w") as paths:
        for i in ids:
            (cose,) = con.execute("SELECT cose FROM records WHERE id = ?", (i,)).fetchone()
            with open(os.path.join(www, "v1", "credentials", str(i)), "wb") as f:
                f.write(cose)
            paths.write("/v1/credentials/%d\n" % i)
PY

"${SERVER_CPU[@]}" "$NODE" --config "$TMP/node.conf" 2>"$TMP/node.log" &
NODE_PID=$!
wait_port "$PORT"
URL="http://127.0.0.1:$PORT"
curl -s --http2-prior-knowledge "$URL/healthz" >/dev/null
RSS_START="$(rss_mib "$NODE_PID")"
NG_PORT="$(free_port)"
"${SERVER_CPU[@]}" "$NGHTTPD" --no-tls -d "$TMP/www" "$NG_PORT" >/dev/null 2>&1 &
NGHTTPD_PID=$!
wait_port "$NG_PORT"
# Same bytes: a few of the node's answers against nghttpd's files.
for p in $(head -3 "$TMP/cold.paths"); do
    curl -sf --http2-prior-knowledge -H "authorization: Bearer $ADMIN" "$URL$p" -o "$TMP/check"
    cmp -s "$TMP/check" "$TMP/www$p" || { echo "bench_million: $p: node and nghttpd bytes differ" >&2; exit 1; }
done
for set in hot cold; do
    sed "s#^#$URL#" "$TMP/$set.paths" > "$TMP/$set.node"
    sed "s#^#http://127.0.0.1:$NG_PORT#" "$TMP/$set.paths" > "$TMP/$set.ng"
done

# One read run against server $1 (pid $2, uri list $3, then h2load options):
# prints "req/s req/cpu-s".
round() {
    local before after out ok
    before="$(cpu_ticks "$2")"
    out="$("${CLIENT_CPU[@]}" h2load -n "$READS" -c "$C" -m "$M" -i "$3" "${@:4}")"
    after="$(cpu_ticks "$2")"
    ok="$(succeeded <<<"$out")"
    [ "$ok" = "$READS" ] || { echo "bench_million: $1: only $ok of $READS succeeded" >&2; exit 1; }
    awk -v r="$(rate <<<"$out")" -v n="$READS" -v t="$((after - before))" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%s %.0f\n", r, (t > 0 ? n * hz / t : 0) }'
}

# The first node run is also the READS reads the memory figure is taken after.
compare() {
    local set="$1" count="$2" a ac b bc
    local NR=() NGR=() NC=() NGC=()
    for _ in $(seq "$ROUNDS"); do
        read -r a ac <<<"$(round accord-node "$NODE_PID" "$TMP/$set.node" -H "authorization: Bearer $ADMIN")"
        [ -n "${RSS_READS:-}" ] || RSS_READS="$(rss_mib "$NODE_PID")"
        read -r b bc <<<"$(round nghttpd "$NGHTTPD_PID" "$TMP/$set.ng")"
        NR+=("$a") NGR+=("$b") NC+=("$ac") NGC+=("$bc")
    done
    local nr ngr nc ngc
    nr="$(median "${NR[@]}")" ngr="$(median "${NGR[@]}")" nc="$(median "${NC[@]}")" ngc="$(median "${NGC[@]}")"
    echo "bench_million: N $N: record reads, $count random ids ($set), h2load -n $READS -c $C -m $M," \
         "median of $ROUNDS alternating rounds${SERVER_CPU:+, servers on CPU 1, h2load on CPU 0}:"
    echo "bench_million:   accord-node ${nr} req/s (spread $(spread "${NR[@]}")), ${nc} req per CPU-second"
    echo "bench_million:   nghttpd     ${ngr} req/s (spread $(spread "${NGR[@]}")), ${ngc} req per CPU-second"
    echo "bench_million:   ratio record_reads_$set = $(ratio "$nr" "$ngr") (target >= 0.80);" \
         "by server CPU $(ratio "$nc" "$ngc")"
}
RSS_READS=""
compare cold "$COLD"
compare hot "$HOT"

PROOF_MS="$(for i in $(seq 21); do
    id=$(( FIRST + (RANDOM * 32768 + RANDOM) % (LAST - FIRST + 1) ))
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --http2-prior-knowledge -H "authorization: Bearer $ADMIN" "$URL/v1/credentials/$id/inclusion"
done | awk '$1 != 200 { print "bench_million: inclusion proof answered " $1 > "/dev/stderr" } $1 == 200 { print $2 }' |
    sort -n | awk '{ v[NR] = $1 } END { printf "%.2f\n", v[int((NR + 1) / 2)] * 1000 }')"

# A cheap read alone, then during a write storm that starts first and
# outlasts it.
printf '{"label":"storm"}' > "$TMP/body.json"
h2load -n 2000 -c 2 -m 1 "$URL/v1/node" >/dev/null
ALONE_RATE="$("${CLIENT_CPU[@]}" h2load -D "$D" -c 2 -m 1 --log-file="$TMP/alone.log" "$URL/v1/node" | rate)"
"${CLIENT_CPU[@]}" h2load -D "$((D + 2))" -c 4 -m 8 -d "$TMP/body.json" \
    -H "authorization: Bearer $ADMIN" -H "content-type: application/json" \
    "$URL/v1/users/1/tokens" > "$TMP/storm.out" &
STORM_PID=$!
sleep 1
STORM_RATE="$("${CLIENT_CPU[@]}" h2load -D "$D" -c 2 -m 1 --log-file="$TMP/storm.log" "$URL/v1/node" | rate)"
wait "$STORM_PID"
WRITES="$(rate < "$TMP/storm.out")"
P_ALONE="$(p99 "$TMP/alone.log")" P_STORM="$(p99 "$TMP/storm.log")"

echo "bench_million: N $N: RSS after start ${RSS_START} MiB, after $READS record reads ${RSS_READS} MiB (target < 64)"
echo "bench_million: N $N: inclusion proof ${PROOF_MS} ms (median of 21)"
echo "bench_million: N $N: GET /v1/node alone ${ALONE_RATE} req/s p99 ${P_ALONE} ms; during a storm of" \
     "${WRITES} token creations/s ${STORM_RATE} req/s p99 ${P_STORM} ms;" \
     "ratio p99 storm/alone $(ratio "$P_STORM" "$P_ALONE")"
grep ratio "$KEEP/fill.out"
