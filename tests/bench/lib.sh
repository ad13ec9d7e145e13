# lib.sh - the shell helpers the benchmark scripts share; sourced by them
# (`. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`), never run. It defines
# functions and, through bench_tmp, the temporary directory and the exit trap
# that stops the servers a script started; it starts nothing itself.

# Servers on CPU 1 and h2load on CPU 0 when taskset and two CPUs exist, so
# client and server do not share a core: sets SERVER_CPU and CLIENT_CPU, the
# prefixes to run each with (empty arrays otherwise).
bench_pin_cpus() {
    SERVER_CPU=() CLIENT_CPU=()
    if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
        SERVER_CPU=(taskset -c 1) CLIENT_CPU=(taskset -c 0)
    fi
}

# Makes TMP, a directory removed at exit, and stops at exit whichever servers
# NODE_PID, NGHTTPD_PID and PID (set by the script) still name.
bench_tmp() {
    TMP="$(mktemp -d)"
    NODE_PID="" NGHTTPD_PID="" PID=""
    trap bench_cleanup EXIT
}
bench_cleanup() {
    local p
    for p in "$NODE_PID" "$NGHTTPD_PID" "$PID"; do
        [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true
    done
    rm -rf "$TMP"
}

# Exits naming the first of the given programs that is not there.
bench_require() {
    local name="$1" b
    shift
    for b in "$@"; do
        [ -x "$b" ] || { echo "$name: $b missing (build, or run tools/setup.sh)" >&2; exit 1; }
    done
}

# Writes a node configuration for a benchmark node to file $1: data in $2,
# listening on 127.0.0.1:$3, 256 streams per connection, warnings only. Lines
# after the third argument follow the [node] section's own (e.g.
# "durability = inline", or "[store]" and the lines of that section).
bench_node_conf() {
    local file="$1" data="$2" port="$3" extra
    shift 3
    {
        printf '[node]\nid = bench.example\ndata_dir = %s\n' "$data"
        for extra in "$@"; do printf '%s\n' "$extra"; done
        printf '[http]\nlisten = 127.0.0.1:%s\n[limits]\nmax_concurrent_streams = 256\n' "$port"
        printf '[log]\nlevel = warn\n'
    } > "$file"
}

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits (up to 30 s) until something accepts on loopback port $1.
wait_port() { for _ in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# h2load's summary on stdin: its request rate, and how many succeeded.
rate() { awk '/^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { v = $(i-1); gsub(",", "", v); print v } }'; }
succeeded() { awk '/^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /succeeded/) print $i }'; }
# p99 in ms of the successful requests in an h2load --log-file.
p99() { awk -F'\t' '$2 == 200 || $2 == 201 { print $3 }' "$1" | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f\n", v[i] / 1000 }'; }

# utime + stime of process $1 in clock ticks (proc(5) fields 14 and 15; the
# command name, field 2, has no spaces for the servers measured).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# "RATE REQ_PER_CPU_SECOND" of one load: h2load's summary on stdin, $1 the
# server's CPU ticks it took.
rate_per_cpu() {
    awk -v ticks="$1" -v hz="$(getconf CLK_TCK)" '
        /^finished in/ { for (i = 1; i <= NF; i++) if ($i ~ /req\/s/) { r = $(i-1); gsub(",", "", r) } }
        /^requests:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /succeeded/) ok = $i }
        END { if (ticks < 1) ticks = 1; printf "%.0f %.0f\n", r, ok / (ticks / hz) }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
spread() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }
# $1 / $2 with $3 decimals (2 unless given), or nan when $2 is not positive.
ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b > 0) printf "%.*f\n", d, a / b; else print "nan" }'; }

# bench_million.sh's filled data directory $2 (BENCH_DATA): exits unless it
# holds one, else sets ADMIN, FIRST and LAST (the admin token, the first and
# last record id). $1 names the script in the message.
bench_filled_data() {
    [ -s "$2/fill.out" ] && [ -s "$2/admin.token" ] ||
        { echo "$1: $2 holds no filled data (bench_million.sh with BENCH_DATA)" >&2; exit 1; }
    ADMIN="$(cat "$2/admin.token")"
    FIRST=$(awk '/^first_id/ { print $2 }' "$2/fill.out")
    LAST=$(awk '/^last_id/ { print $2 }' "$2/fill.out")
}

# Starts node binary $1 with configuration $2 on CPU 1 (bench_pin_cpus),
# reading the database in data directory $3 once first so that it serves
# from the page cache, and waits until port $4 answers /healthz: sets PID.
bench_start_node() {
    cat "$3/accord.db" "$3/accord.db-wal" >/dev/null 2>&1 || true
    "${SERVER_CPU[@]}" "$1" --config "$2" 2>"$TMP/node.log" &
    PID=$!
    for _ in $(seq 600); do
        curl -sf --http2-prior-knowledge "http://127.0.0.1:$4/healthz" >/dev/null && return 0
        sleep 0.1
    done
}

# Starts nghttpd on CPU 1 serving directory $1 (read once first) on port $2,
# and waits until it accepts: sets PID.
bench_start_nghttpd() {
    find "$1" -type f -exec cat {} + >/dev/null
    "${SERVER_CPU[@]}" "$(command -v nghttpd || echo /usr/sbin/nghttpd)" --no-tls -d "$1" "$2" \
        >/dev/null 2>&1 &
    PID=$!
    wait_port "$2"
}

# Stops the server PID names.
bench_stop() {
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
}
