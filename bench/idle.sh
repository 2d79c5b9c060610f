#!/bin/bash
# Wake-ups of an idle nvidia-docker-plugin that keeps a CDI spec current.
#
# Usage: bench/idle.sh BUILD_DIR [SECONDS]    (as root; SECONDS defaults to 20)
#
# Starts the plugin with --cdi-dir on a fresh nvd-sim root (profile k80x2)
# and waits 10 s for start-up and for NVML's idle close. Then it counts the
# voluntary context switches of all its threads (/proc/PID/task/*/status)
# during SECONDS with no request and no change. Each one is a thread that
# went to sleep again after waking.
set -eu

[ $# -ge 1 ] || { echo "usage: bench/idle.sh BUILD_DIR [SECONDS]" >&2; exit 2; }
BIN="$(cd "$1" && pwd)/bin"
SECONDS_IDLE=${2:-20}
for program in "$BIN/nvd-sim" "$BIN/nvidia-docker-plugin"; do
    [ -x "$program" ] || { echo "bench/idle.sh: $program not found; build first" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/nvd-bench-idle.XXXXXX)
PLUGIN_PID=
finish() {
    if [ -n "$PLUGIN_PID" ]; then
        kill -TERM "$PLUGIN_PID" 2>/dev/null || true
        wait "$PLUGIN_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap finish EXIT

# Sum voluntary_ctxt_switches over the plugin's threads.
count_switches() {
    local total=0 task value
    for task in /proc/"$PLUGIN_PID"/task/*; do
        value=$(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status" 2>/dev/null || echo 0)
        total=$(( total + ${value:-0} ))
    done
    echo "$total"
}

"$BIN/nvd-sim" init "$WORK/root" --profile k80x2 >/dev/null
"$BIN/nvidia-docker-plugin" --driver-root "$WORK/root" -d "$WORK/volumes" -s "$WORK/sock" \
    -l 127.0.0.1:0 --cdi-dir "$WORK/cdi" 2>"$WORK/plugin.log" &
PLUGIN_PID=$!
sleep 10
[ -f "$WORK/cdi/nvidia-docker.json" ] ||
    { echo "bench/idle.sh: the plugin wrote no CDI spec; its log:" >&2; cat "$WORK/plugin.log" >&2; exit 1; }

before=$(count_switches)
sleep "$SECONDS_IDLE"
after=$(count_switches)
echo "idle plugin with --cdi-dir: $(( after - before )) voluntary context switches in ${SECONDS_IDLE} s, all threads"
