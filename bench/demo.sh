#!/usr/bin/env bash
# `make run`: start three demo HTTP backends on 127.0.0.1:9001-9003, run
# ringproxy with proxy.conf.example in front of them, and curl the listener a
# few times a second, printing which backend answered. Ctrl-C stops it all.
#
# Environment: RINGPROXY_BIN (default .build/release/ringproxy),
#              CONFIG (default proxy.conf.example), RATE (requests/s, default 4).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BIN=${RINGPROXY_BIN:-.build/release/ringproxy}
CONFIG=${CONFIG:-proxy.conf.example}
RATE=${RATE:-4}
LISTEN_PORT=8080
BACKENDS=("web1 9001" "web2 9002" "spare 9003")

[ -x "$BIN" ] || { echo "error: $BIN not found; run 'make build' first" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "error: $CONFIG not found" >&2; exit 1; }
command -v python3 >/dev/null || { echo "error: python3 is needed for the demo backends" >&2; exit 1; }
command -v curl >/dev/null || { echo "error: curl is needed for the demo client" >&2; exit 1; }

require_free_ports "$LISTEN_PORT" 9001 9002 9003

tmp=$(mktemp -d -t ringproxy-demo.XXXXXX)
pids=()
cleanup() {
    trap - EXIT INT TERM
    echo
    echo "demo: stopping"
    local p
    for p in "${pids[@]}"; do stop_tree "$p" 5; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A backend_pid
for b in "${BACKENDS[@]}"; do
    set -- $b
    mkdir -p "$tmp/$1"
    echo "hello from $1" >"$tmp/$1/index.html"
    python3 -m http.server "$2" --bind 127.0.0.1 --directory "$tmp/$1" \
        >"$tmp/$1.log" 2>&1 &
    pids+=($!)
    backend_pid[$1]=$!
done
for b in "${BACKENDS[@]}"; do
    set -- $b
    wait_port "$2" 10 "${backend_pid[$1]}" ||
        { echo "error: backend $1 did not start on 127.0.0.1:$2" >&2; cat "$tmp/$1.log" >&2; exit 1; }
done

"$BIN" --check --config "$CONFIG"
# The proxy's log lines go to the terminal, prefixed.
"$BIN" --config "$CONFIG" 2> >(sed -u 's/^/[ringproxy] /' >&2) &
proxy=$!
pids=("$proxy" "${pids[@]}")
if ! wait_port "$LISTEN_PORT" 10 "$proxy"; then
    echo "error: ringproxy did not start listening on 127.0.0.1:$LISTEN_PORT" >&2
    exit 1
fi

echo "demo: ringproxy (pid $proxy) on http://127.0.0.1:$LISTEN_PORT/"
for b in "${BACKENDS[@]}"; do
    set -- $b
    echo "demo: backend $1 on 127.0.0.1:$2 (pid ${backend_pid[$1]}; 'kill ${backend_pid[$1]}' to take it down)"
done
echo "demo: web1 has weight 3, web2 weight 1, spare is a backup. Ctrl-C stops everything."
echo

declare -A count=()
n=0
interval=$(python3 -c "print(1/max(0.1, float('$RATE')))")
while alive "$proxy"; do
    n=$((n + 1))
    if answer=$(curl -sS -m 2 "http://127.0.0.1:$LISTEN_PORT/" 2>&1); then
        who=${answer#hello from }
    else
        who="error"
        answer="request failed: $answer"
    fi
    count[$who]=$(( ${count[$who]:-0} + 1 ))
    printf '%s  #%-5d %s\n' "$(date +%T)" "$n" "$answer"
    if ((n % 20 == 0)); then
        summary=
        for k in "${!count[@]}"; do summary+=" $k=${count[$k]}"; done
        echo "          totals:$summary"
    fi
    sleep "$interval"
done
echo "error: ringproxy exited" >&2
wait "$proxy" || true
exit 1
