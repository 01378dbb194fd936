#!/usr/bin/env bash
# Install the Debian packages given as arguments that are not installed yet.
# Does nothing (and needs no root) when all of them are present; otherwise it
# runs `apt-get update` once and `apt-get install -y` for the missing ones.
# Services that the install itself starts (nginx, haproxy, iperf3) are
# stopped again: the benchmark and the demo start their own instances.
set -euo pipefail

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing packages: ${missing[*]}" >&2
    echo "       run 'sudo make deps', or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# One `apt-get update`, skipped when the package lists were refreshed in the
# last hour (e.g. by .ci/run bootstrapping make a moment ago).
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | head -n 1)" ]; then
    apt-get update
fi
apt-get install -y --no-install-recommends "${missing[@]}" </dev/null

for pkg in "${missing[@]}"; do
    case "$pkg" in
        nginx|haproxy|iperf3)
            if command -v service >/dev/null 2>&1; then
                service "$pkg" stop >/dev/null 2>&1 || true
            fi
            ;;
    esac
done
