#!/usr/bin/env bash
# bench_auth_reads.sh - what a bearer token costs: h2load against the node's
# authenticated GET /v1/users/me and a 20-row GET /v1/users?limit=20, against
# the public GET /v1/node and nghttpd serving a file the size of /v1/users/me,
# all in the same run, same machine, loopback only. Prints each request rate
# and the ratios of the authenticated reads to the public read and to
# nghttpd. The machine is shared, so the four are measured in turn ROUNDS
# times and the median of each is compared; and since request rates on a
# loaded machine say more about the neighbours than about the server, the
# CPU time the serving process spent per request (its main thread's
# /proc/PID/schedstat, nanoseconds on CPU; both servers serve from one
# thread) is reported beside them: what a request costs.
# Usage: tests/bench/bench_auth_reads.sh [BUILD_DIR]   (env N, C, M, ROUNDS override)
# The token is a throwaway admin's of a temporary node, so passing it to
# h2load on its command line shows nothing worth hiding.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/tests/bench/lib.sh"
BUILD="${1:-${ACCORD_BUILD:-$ROOT/build}}"
N="${N:-20000}" C="${C:-10}" M="${M:-10}" ROUNDS="${ROUNDS:-3}"
NODE="$BUILD/node/accord-node"
NGHTTPD="$(command -v nghttpd || echo /usr/sbin/nghttpd)"
bench_require bench_auth_reads "$NODE" "$NGHTTPD" "$(command -v h2load)" "$(command -v curl)"

bench_tmp

oncpu() { awk '{ print $1 }' "/proc/$1/schedstat"; }

NODE_PORT="$(free_port)"
bench_node_conf "$TMP/node.conf" "$TMP/data" "$NODE_PORT"
TOKEN="$("$NODE" init --config "$TMP/node.conf" | tail -n 1)"
"$NODE" --config "$TMP/node.conf" 2>"$TMP/node.log" &
NODE_PID=$!
wait_port "$NODE_PORT"
BASE="http://127.0.0.1:$NODE_PORT"
AUTH="authorization: Bearer $TOKEN"

# Nineteen more users, so the list answers 20 rows (the admin and these).
for i in $(seq -w 1 19); do
    curl -sf --http2-prior-knowledge -H "$AUTH" -H 'content-type: application/json' \
        -d "{\"name\":\"bench$i\",\"display_name\":\"Bench User $i\",\"roles\":[\"earner\",\"reviewer\"]}" \
        "$BASE/v1/users" >/dev/null
done
ROWS="$(curl -sf --http2-prior-knowledge -H "$AUTH" "$BASE/v1/users?limit=20" \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')"
[ "$ROWS" = 20 ] || { echo "bench_auth_reads: the list has $ROWS rows, not 20"; exit 1; }

mkdir -p "$TMP/www"
curl -sf --http2-prior-knowledge -H "$AUTH" "$BASE/v1/users/me" > "$TMP/www/me.json"
SIZE_ME=$(stat -c %s "$TMP/www/me.json")
SIZE_LIST=$(curl -sf --http2-prior-knowledge -H "$AUTH" "$BASE/v1/users?limit=20" | wc -c)
NG_PORT="$(free_port)"
"$NGHTTPD" --no-tls -d "$TMP/www" "$NG_PORT" >/dev/null 2>&1 &
NGHTTPD_PID=$!
wait_port "$NG_PORT"

# name|url|header ("" for none)
TARGETS=("public|$BASE/v1/node|"
         "me|$BASE/v1/users/me|$AUTH"
         "list20|$BASE/v1/users?limit=20|$AUTH"
         "nghttpd|http://127.0.0.1:$NG_PORT/me.json|")
pid_of() { if [ "$1" = nghttpd ]; then echo "$NGHTTPD_PID"; else echo "$NODE_PID"; fi; }
run() { # url header n
    if [ -n "$2" ]; then h2load -n "$3" -c "$C" -m "$M" -H "$2" "$1"; else h2load -n "$3" -c "$C" -m "$M" "$1"; fi
}
echo "bench_auth_reads: h2load -n $N -c $C -m $M, loopback, median of $ROUNDS rounds;" \
     "/v1/users/me $SIZE_ME bytes, list of 20 $SIZE_LIST bytes"
declare -A RATES COSTS
FAILED=0
for t in "${TARGETS[@]}"; do IFS='|' read -r name url hdr <<<"$t"; run "$url" "$hdr" 1000 >/dev/null; done
for _ in $(seq "$ROUNDS"); do
    for t in "${TARGETS[@]}"; do
        IFS='|' read -r name url hdr <<<"$t"
        pid="$(pid_of "$name")"
        before="$(oncpu "$pid")"
        out="$(run "$url" "$hdr" "$N")"
        after="$(oncpu "$pid")"
        RATES[$name]="${RATES[$name]:-} $(rate <<<"$out")"
        COSTS[$name]="${COSTS[$name]:-} $(( (after - before) / N ))"
        [ "$(succeeded <<<"$out")" = "$N" ] || { FAILED=1; echo "bench_auth_reads: $name: some requests failed"; }
    done
done
declare -A MED CMED
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name url hdr <<<"$t"
    # shellcheck disable=SC2086
    MED[$name]="$(median ${RATES[$name]})"
    # shellcheck disable=SC2086
    CMED[$name]="$(median ${COSTS[$name]})"
    printf '%-8s %-24s %10s req/s %7s ns CPU/req (rounds:%s; ns:%s)\n' "$name" \
        "${url#http://127.0.0.1:*/}" "${MED[$name]}" "${CMED[$name]}" "${RATES[$name]}" "${COSTS[$name]}"
done
for a in me list20; do
    awk -v n="$a" -v a="${MED[$a]}" -v p="${MED[public]}" -v g="${MED[nghttpd]}" \
        'BEGIN { printf "ratio %-6s = %.2f of GET /v1/node, %.2f of nghttpd\n", n, a / p, a / g }'
done
awk -v p="${MED[public]}" -v g="${MED[nghttpd]}" \
    'BEGIN { printf "ratio public = %.2f of nghttpd\n", p / g }'
for a in me list20 public; do
    awk -v n="$a" -v a="${CMED[$a]}" -v p="${CMED[public]}" -v g="${CMED[nghttpd]}" \
        'BEGIN { printf "cost  %-6s = %.2f x GET /v1/node, %.2f x nghttpd (CPU per request)\n", n, a / p, a / g }'
done
exit "$FAILED"
