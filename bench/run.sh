#!/usr/bin/env bash
# Benchmark ringproxy against HAProxy (mode tcp) and nginx stream on the same
# backends, everything on 127.0.0.1. See bench/README.md.
#
# Environment (defaults in brackets):
#   RINGPROXY_BIN  ringproxy binary              [.build/release/ringproxy]
#   DUR            seconds per measurement       [5]
#   ROUNDS         interleaved rounds            [5]
#   THREADS        thread counts to compare      ["1 2"]
#   CONNS          wrk connections               [64]
#   PROXIES        proxies to run                ["ringproxy haproxy nginx"]
#   WORKLOADS      subset of: rps cps bulk-up bulk-down  [all four]
#   BASE_PORT      first port used (BASE..BASE+401) [21000]
#   BACKEND_WORKERS nginx backend worker processes [1]
#   RESULTS_DIR    where latest.txt / latest.tsv / logs go [bench/results]
#   CLIENT_CPUS    pin the clients (wrk, iperf3 -c) to these CPUs and the
#                  backends and proxies to the others, e.g. 1  [unset: no pinning]
#   KEEP_TMP=1     keep the temp dir with configs and logs
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

RINGPROXY_BIN=${RINGPROXY_BIN:-.build/release/ringproxy}
DUR=${DUR:-5}
ROUNDS=${ROUNDS:-5}
THREADS=${THREADS:-"1 2"}
CONNS=${CONNS:-64}
PROXIES=${PROXIES:-"ringproxy haproxy nginx"}
WORKLOADS=${WORKLOADS:-"rps cps bulk-up bulk-down"}
BASE_PORT=${BASE_PORT:-21000}
BACKEND_WORKERS=${BACKEND_WORKERS:-1}
RESULTS_DIR=${RESULTS_DIR:-bench/results}
SETTLE=${SETTLE:-1}   # seconds of quiet between two measurements
CLIENT_CPUS=${CLIENT_CPUS:-}

die() { echo "bench: error: $*" >&2; exit 1; }
log() { echo "bench: $*" >&2; }

int_in() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= $2 && $1 <= $3)); }
int_in "$DUR" 1 300 || die "DUR must be 1..300 seconds"
int_in "$ROUNDS" 1 50 || die "ROUNDS must be 1..50"
int_in "$CONNS" 2 10000 || die "CONNS must be 2..10000"
int_in "$BASE_PORT" 1024 60000 || die "BASE_PORT must be 1024..60000"
int_in "$BACKEND_WORKERS" 1 64 || die "BACKEND_WORKERS must be 1..64"
for t in $THREADS; do int_in "$t" 1 256 || die "THREADS must be numbers"; done
for w in $WORKLOADS; do
    case $w in rps | cps | bulk-up | bulk-down) ;; *) die "unknown workload $w" ;; esac
done
for p in $PROXIES; do
    case $p in ringproxy | haproxy | nginx) ;; *) die "unknown proxy $p" ;; esac
done
for tool in nginx wrk iperf3 curl python3 awk; do
    command -v "$tool" >/dev/null || die "$tool not found (run 'make deps')"
done
NGINX_STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so

# ---------------------------------------------------------------- CPU placement
# Pinned, the client never competes with the proxy and backend for a CPU, so
# the rate shows what the proxy and backend sustain on the CPUs left to them.
ON_CLIENT_CPUS=() ON_SERVER_CPUS=() SERVER_CPUS=
if [ -n "$CLIENT_CPUS" ]; then
    command -v taskset >/dev/null || die "taskset not found (util-linux)"
    SERVER_CPUS=$(python3 - "$CLIENT_CPUS" <<'PY'
import os, sys
allowed = os.sched_getaffinity(0)
client = set()
for part in sys.argv[1].split(","):
    low, _, high = part.partition("-")
    client.update(range(int(low), int(high or low) + 1))
if not client <= allowed:
    sys.exit(1)
print(",".join(str(c) for c in sorted(allowed - client)))
PY
) || die "CLIENT_CPUS must be a list of CPUs this process may use, such as 1 or 2-3"
    [ -n "$SERVER_CPUS" ] || die "CLIENT_CPUS leaves no CPU for the proxies and backends"
    ON_CLIENT_CPUS=(taskset -c "$CLIENT_CPUS")
    ON_SERVER_CPUS=(taskset -c "$SERVER_CPUS")
fi

# ---------------------------------------------------------------- ports
BACKEND_HTTP=$BASE_PORT
BACKEND_BULK=$((BASE_PORT + 1))
declare -A HTTP_PORT BULK_PORT PID BROKEN
i=1
for p in ringproxy haproxy nginx; do
    HTTP_PORT[$p]=$((BASE_PORT + 100 * i))
    BULK_PORT[$p]=$((BASE_PORT + 100 * i + 1))
    i=$((i + 1))
done
all_ports=("$BACKEND_HTTP" "$BACKEND_BULK")
for p in $PROXIES; do all_ports+=("${HTTP_PORT[$p]}" "${BULK_PORT[$p]}"); done
require_free_ports "${all_ports[@]}"

# Connections per proxy: 2 fds each (client + server) must fit the fd limit.
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
MAXCONN=$(((NOFILE - 200) / 2))
((MAXCONN > 4096)) && MAXCONN=4096
((MAXCONN > CONNS + 16)) || die "fd limit $NOFILE too small for $CONNS connections"

# ---------------------------------------------------------------- temp dir and cleanup
TMP=$(mktemp -d -t ringproxy-bench.XXXXXX)
chmod 755 "$TMP" # nginx workers run as nobody and read the docroot below
STARTED=()        # pids of everything we started, stopped on exit

cleanup() {
    local rc=$? p
    trap - EXIT INT TERM
    for p in "${STARTED[@]}"; do stop_tree "$p" 5; done
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        log "kept $TMP"
    else
        rm -rf "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'log interrupted; exit 130' INT
trap 'exit 143' TERM

# start NAME LOGFILE CMD...: run CMD in the background, remember its pid.
start() {
    local name=$1 logf=$2
    shift 2
    "$@" </dev/null >"$logf" 2>&1 &
    STARTED+=($!)
    PID[$name]=$!
}

# cpu_ticks PID: utime+stime (+ reaped children) of PID and all its
# descendants, in clock ticks. nginx has a master and workers; HAProxy's
# threads are summed by the kernel in the process line.
cpu_ticks() {
    local total=0 p s
    for p in $(descendants "$1"); do
        s=$(cat "/proc/$p/stat" 2>/dev/null) || continue
        s=${s##*) }
        set -- $s # $1 is field 3 (state): utime=$12 stime=$13 cutime=$14 cstime=$15
        total=$((total + ${12} + ${13} + ${14} + ${15}))
    done
    echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)

other=$(for c in nginx haproxy iperf3; do pgrep -x "$c"; done || true)
[ -n "$other" ] && log "warning: other nginx/haproxy/iperf3 processes are running (pids $(echo $other)); they are not ours and are left alone, but they share the CPU"

# ---------------------------------------------------------------- backends
USER_LINE=
[ "$(id -u)" = 0 ] && USER_LINE="user nobody nogroup;"

start_backends() {
    mkdir -p "$TMP/www" "$TMP/backend"
    head -c 1024 /dev/zero | tr '\0' 'x' >"$TMP/www/1k"
    cat >"$TMP/backend/nginx.conf" <<EOF
$USER_LINE
worker_processes $BACKEND_WORKERS;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $TMP/backend/nginx.pid;
error_log stderr warn;
events { worker_connections $MAXCONN; }
http {
    access_log off;
    client_body_temp_path $TMP/backend/body;
    proxy_temp_path $TMP/backend/proxy;
    fastcgi_temp_path $TMP/backend/fastcgi;
    uwsgi_temp_path $TMP/backend/uwsgi;
    scgi_temp_path $TMP/backend/scgi;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65s;
    keepalive_requests 10000000;
    server {
        listen 127.0.0.1:$BACKEND_HTTP backlog=4096;
        root $TMP/www;
    }
}
EOF
    start backend-http "$TMP/backend/nginx.log" "${ON_SERVER_CPUS[@]}" nginx -p "$TMP/backend/" -c "$TMP/backend/nginx.conf" -e stderr
    wait_port "$BACKEND_HTTP" 10 "${PID[backend-http]}" ||
        { cat "$TMP/backend/nginx.log" >&2; die "nginx backend did not start"; }
    start_iperf_server
    serves_1k "$BACKEND_HTTP" || die "nginx backend does not serve /1k (got '$GOT')"
}

# serves_1k PORT: one GET /1k on 127.0.0.1:PORT answers 200 with 1024 bytes
# (what came back is left in GOT).
serves_1k() {
    GOT=$(curl -s -m 3 -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$1/1k" || true)
    [ "$GOT" = "200 1024" ]
}

start_iperf_server() {
    if [ -n "${PID[backend-bulk]:-}" ]; then stop_tree "${PID[backend-bulk]}" 3; fi
    start backend-bulk "$TMP/iperf3-server.log" "${ON_SERVER_CPUS[@]}" iperf3 -s -B 127.0.0.1 -p "$BACKEND_BULK"
    wait_port "$BACKEND_BULK" 10 "${PID[backend-bulk]}" ||
        { cat "$TMP/iperf3-server.log" >&2; die "iperf3 server did not start"; }
}

# ---------------------------------------------------------------- proxies
# start_proxy NAME THREADS: write its config, validate it, start it, wait for
# both ports and check one request end to end. Returns 1 when it cannot run.
start_proxy() {
    local p=$1 n=$2 dir="$TMP/$1-$2" conf logf
    mkdir -p "$dir"
    logf="$dir/$p.log"
    case $p in
    ringproxy)
        conf="$dir/proxy.conf"
        cat >"$conf" <<EOF
global
    workers $n
    max-connections $MAXCONN
    log-level warning
    grace 1s

listener http
    bind 127.0.0.1:${HTTP_PORT[$p]}
    pool http
    idle-timeout 1m

listener bulk
    bind 127.0.0.1:${BULK_PORT[$p]}
    pool bulk
    idle-timeout 1m

pool http
    balance round-robin
    connect-timeout 2s
    retries 0
    server nginx 127.0.0.1:$BACKEND_HTTP

pool bulk
    balance round-robin
    connect-timeout 2s
    retries 0
    server iperf3 127.0.0.1:$BACKEND_BULK
EOF
        if [ ! -x "$RINGPROXY_BIN" ]; then
            log "ringproxy: $RINGPROXY_BIN not found or not executable"
            return 1
        fi
        if ! timeout 10 "$RINGPROXY_BIN" --check --config "$conf" >"$dir/check.log" 2>&1; then
            log "ringproxy: --check rejected the config:"
            sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        start "$p" "$logf" "${ON_SERVER_CPUS[@]}" "$RINGPROXY_BIN" --config "$conf"
        ;;
    haproxy)
        conf="$dir/haproxy.cfg"
        cat >"$conf" <<EOF
global
    nbthread $n
    maxconn $MAXCONN

defaults
    mode tcp
    option splice-auto
    maxconn $MAXCONN
    timeout connect 2s
    timeout client 1m
    timeout server 1m

frontend http
    bind 127.0.0.1:${HTTP_PORT[$p]}
    default_backend http

backend http
    server nginx 127.0.0.1:$BACKEND_HTTP

frontend bulk
    bind 127.0.0.1:${BULK_PORT[$p]}
    default_backend bulk

backend bulk
    server iperf3 127.0.0.1:$BACKEND_BULK
EOF
        if ! command -v haproxy >/dev/null; then log "haproxy: not installed"; return 1; fi
        if ! haproxy -c -q -f "$conf" >"$dir/check.log" 2>&1; then
            log "haproxy: config check failed:"; sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        start "$p" "$logf" "${ON_SERVER_CPUS[@]}" haproxy -db -f "$conf"
        ;;
    nginx)
        conf="$dir/nginx.conf"
        cat >"$conf" <<EOF
load_module $NGINX_STREAM_MODULE;
$USER_LINE
worker_processes $n;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections $((MAXCONN * 2)); }
stream {
    proxy_connect_timeout 2s;
    proxy_timeout 1m;
    server {
        listen 127.0.0.1:${HTTP_PORT[$p]} backlog=4096;
        proxy_pass 127.0.0.1:$BACKEND_HTTP;
    }
    server {
        listen 127.0.0.1:${BULK_PORT[$p]};
        proxy_pass 127.0.0.1:$BACKEND_BULK;
    }
}
EOF
        if [ ! -f "$NGINX_STREAM_MODULE" ]; then log "nginx: $NGINX_STREAM_MODULE missing (libnginx-mod-stream)"; return 1; fi
        if ! nginx -t -q -p "$dir/" -c "$conf" -e stderr >"$dir/check.log" 2>&1; then
            log "nginx: config check failed:"; sed 's/^/    /' "$dir/check.log" >&2
            return 1
        fi
        start "$p" "$logf" "${ON_SERVER_CPUS[@]}" nginx -p "$dir/" -c "$conf" -e stderr
        ;;
    esac
    if ! wait_port "${HTTP_PORT[$p]}" 10 "${PID[$p]}" || ! wait_port "${BULK_PORT[$p]}" 5 "${PID[$p]}"; then
        log "$p: did not start listening on 127.0.0.1:${HTTP_PORT[$p]} and :${BULK_PORT[$p]}; its log:"
        tail -n 20 "$logf" | sed 's/^/    /' >&2
        return 1
    fi
    if ! serves_1k "${HTTP_PORT[$p]}"; then
        log "$p: a request through it failed (got '$GOT'); its log:"
        tail -n 20 "$logf" | sed 's/^/    /' >&2
        return 1
    fi
    log "$p: running with $n thread(s), pid ${PID[$p]}"
}

stop_proxy() {
    local p=$1
    if [ -n "${PID[$p]:-}" ]; then stop_tree "${PID[$p]}" 5; fi
    PID[$p]=
}

# ---------------------------------------------------------------- measurements
# measure PROXY WORKLOAD: one run; sets RES to "status rate units cpu_seconds errors".
# (Not run in a subshell: it may restart the iperf3 server and mark a proxy broken.)
measure() {
    local p=$1 w=$2 pid=${PID[$1]:-} out="$TMP/run.out" c0 c1 rc=0 parsed rate units errors cpu
    RES="fail 0 0 0 0"
    [ -n "${BROKEN[$p]:-}" ] && return
    if ! check_alive "$p"; then return; fi
    local -a client
    case $w in
    rps) client=(wrk -t2 -c"$CONNS" -d"${DUR}s" --timeout 5s "http://127.0.0.1:${HTTP_PORT[$p]}/1k") ;;
    cps) client=(wrk -t2 -c"$CONNS" -d"${DUR}s" --timeout 5s -H 'Connection: close'
        "http://127.0.0.1:${HTTP_PORT[$p]}/1k") ;;
    bulk-up) client=(iperf3 -c 127.0.0.1 -p "${BULK_PORT[$p]}" -t "$DUR" -J --connect-timeout 3000) ;;
    bulk-down) client=(iperf3 -c 127.0.0.1 -p "${BULK_PORT[$p]}" -t "$DUR" -J --connect-timeout 3000 -R) ;;
    esac
    c0=$(cpu_ticks "$pid")
    timeout -k 2 $((DUR + 20)) "${ON_CLIENT_CPUS[@]}" "${client[@]}" >"$out" 2>&1 || rc=$?
    c1=$(cpu_ticks "$pid")
    {
        echo "=== threads=$THR proxy=$p workload=$w: ${client[*]} (exit $rc)"
        cat "$out"
    } >>"$RUNLOG"
    parsed=$(python3 bench/report.py parse "$w" "$out" 2>>"$RUNLOG" || true)
    if [ "$rc" != 0 ] || [ -z "$parsed" ] || ! alive "$pid"; then
        log "$p $w: run failed (client exit $rc); see $RUNLOG"
        case $w in bulk-*) start_iperf_server ;; esac # a failed test can wedge it
    else
        read -r rate units errors <<<"$parsed"
        cpu=$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d / hz }')
        RES="ok $rate $units $cpu $errors"
    fi
    check_alive "$p" || true
}

# check_alive PROXY: when the proxy has died, say so once (with its log) and
# mark it broken for the rest of this thread count.
check_alive() {
    local p=$1
    alive "${PID[$p]:-}" && return 0
    log "$p: exited (pid ${PID[$p]}); the rest of its runs are n/a. Its log begins with"
    log "(whole log: $RESULTS_DIR/logs/$p-$THR/$p.log):"
    head -n 12 "$TMP/$p-$THR/$p.log" | sed 's/^/    /' >&2
    BROKEN[$p]=1
    return 1
}

# ---------------------------------------------------------------- main
rm -rf "$RESULTS_DIR/logs"
mkdir -p "$RESULTS_DIR/logs"
RAW="$RESULTS_DIR/latest.tsv"
RUNLOG="$RESULTS_DIR/logs/runs.log"
: >"$RUNLOG"
read -ra proxies <<<"$PROXIES"
read -ra workloads <<<"$WORKLOADS"
read -ra threads <<<"$THREADS"
nruns=$((${#threads[@]} * ROUNDS * ${#proxies[@]} * ${#workloads[@]}))
log "$nruns measurements of ${DUR}s; expect at most about $(((nruns * (DUR + SETTLE + 1) + 30) / 60 + 1)) min"

ringproxy_version=$( ( [ -x "$RINGPROXY_BIN" ] && timeout 5 "$RINGPROXY_BIN" --version 2>&1 | head -n 1) || echo "n/a ($RINGPROXY_BIN)")
{
    echo "# date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "# host=$(uname -sr), $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "# ringproxy=$ringproxy_version"
    echo "# haproxy=$( (haproxy -v 2>/dev/null || echo n/a) | head -n 1)"
    echo "# nginx=$(nginx -v 2>&1 | head -n 1)"
    echo "# wrk=$(wrk -v 2>&1 | head -n 1)"
    echo "# iperf3=$(iperf3 -v 2>&1 | head -n 1)"
    echo "# settings=DUR=${DUR}s ROUNDS=$ROUNDS CONNS=$CONNS THREADS=\"$THREADS\" backend nginx workers=$BACKEND_WORKERS maxconn=$MAXCONN${CLIENT_CPUS:+ clients on CPU $CLIENT_CPUS, proxies and backends on CPU $SERVER_CPUS}"
    printf 'threads\tproxy\tworkload\tround\tstatus\trate\tunits\tcpu_s\terrors\n'
} >"$RAW"

start_backends
for THR in "${threads[@]}"; do
    log "=== $THR thread(s) ==="
    for p in "${proxies[@]}"; do
        BROKEN[$p]= PID[$p]=
        start_proxy "$p" "$THR" || BROKEN[$p]=1
    done
    for ((r = 0; r < ROUNDS; r++)); do
        for wi in "${!workloads[@]}"; do
            w=${workloads[$wi]}
            n=${#proxies[@]}
            for ((k = 0; k < n; k++)); do
                p=${proxies[$(((r + wi + k) % n))]}
                measure "$p" "$w"
                printf '%s\t%s\t%s\t%s\t%s\n' "$THR" "$p" "$w" "$((r + 1))" "${RES// /$'\t'}" >>"$RAW"
                log "threads=$THR round=$((r + 1)) $w $p: $RES"
                if [ "${RES%% *}" = ok ]; then sleep "$SETTLE"; fi
            done
        done
    done
    for p in "${proxies[@]}"; do
        stop_proxy "$p"
        if [ -d "$TMP/$p-$THR" ]; then cp -r "$TMP/$p-$THR" "$RESULTS_DIR/logs/"; fi
    done
done

python3 bench/report.py report "$RAW" | tee "$RESULTS_DIR/latest.txt"
# The balancing module's own cost: ns per pick and Maglev table build time.
BALANCING_BENCH=${BALANCING_BENCH:-$(dirname "$RINGPROXY_BIN")/balancing-bench}
if [ -x "$BALANCING_BENCH" ]; then
    "$BALANCING_BENCH" | tee -a "$RESULTS_DIR/latest.txt"
else
    log "balancing: $BALANCING_BENCH not found (make build builds it)"
fi
log "results: $RESULTS_DIR/latest.txt (raw: $RAW, logs: $RESULTS_DIR/logs/)"
