# Shared helpers for bench/run.sh and bench/demo.sh (sourced, not executed).
# Everything here talks to 127.0.0.1 only.

# alive PID: true while PID runs (a zombie counts as gone; kill -0 would not).
alive() {
    local s
    s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    s=${s##*) }
    [ "${s:0:1}" != Z ]
}

# port_listening PORT: true when a TCP socket listens on PORT (any local
# address), read from /proc/net/tcp{,6}. Unlike a test connection this does
# not disturb servers that take one client at a time.
port_listening() {
    local hex
    hex=$(printf ':%04X' "$1")
    awk -v h="$hex" '$4 == "0A" && substr($2, length($2) - 4) == h { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# wait_port PORT SECONDS [PID]: wait until something listens on PORT.
# Fails early when PID (the process expected to open it) has exited.
wait_port() {
    local port=$1 secs=$2 pid=${3:-} i
    for ((i = 0; i < secs * 20; i++)); do
        port_listening "$port" && return 0
        if [ -n "$pid" ] && ! alive "$pid"; then
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# require_free_ports PORT...: exit with a message if anything listens on a port.
require_free_ports() {
    local p
    for p in "$@"; do
        if port_listening "$p"; then
            echo "error: port $p is already in use; stop whatever listens there first" >&2
            exit 1
        fi
    done
}

# descendants PID: PID and all processes below it, parents first.
descendants() {
    local p=$1 c
    echo "$p"
    for c in $(pgrep -P "$p" 2>/dev/null); do
        descendants "$c"
    done
}

# stop_tree PID [SECONDS]: SIGTERM a process and its descendants, wait up to
# SECONDS (default 5) for them to exit, then SIGKILL whatever is left.
stop_tree() {
    local pid=$1 secs=${2:-5} pids i p running
    alive "$pid" || return 0
    pids=$(descendants "$pid")
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < secs * 10; i++)); do
        running=
        for p in $pids; do
            alive "$p" && running=1
        done
        [ -z "$running" ] && break
        sleep 0.1
    done
    kill -KILL $pids 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
