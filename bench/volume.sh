#!/bin/bash
# Volume build time of nvidia-docker-plugin against cp, and concurrent
# Create+Mount of a new driver version.
#
# Usage: bench/volume.sh BUILD_DIR [RUNS]     (RUNS defaults to 7)
#
# 1. On an nvd-sim root (profile a100x8), the plugin builds
#    nvidia_driver_<version> through VolumeDriver.Create on its Unix socket
#    (timed by curl), RUNS times with a fresh volumes directory (-d) and a
#    fresh plugin each time. The same tree is then copied RUNS times with
#    `cp -al` (hard links, what the plugin does) and `cp -a` (data copies).
#    Prints the medians and the plugin's ratio to each.
# 2. The root is upgraded to a new driver version, and one curl sends 200
#    Create and 200 Mount requests (each Mount with its own ID) for it, 200
#    at once. Prints the successful replies, the p50 and p99 per request,
#    and the version directories, leftover builds and mount records after.
# The plugin listens on 127.0.0.1:0, so it takes no fixed port.
set -eu

[ $# -ge 1 ] || { echo "usage: bench/volume.sh BUILD_DIR [RUNS]" >&2; exit 2; }
BIN="$(cd "$1" && pwd)/bin"
RUNS=${2:-7}
CLIENTS=200
ACCEPT='Accept: application/vnd.docker.plugins.v1.2+json'
for program in "$BIN/nvd-sim" "$BIN/nvidia-docker-plugin"; do
    [ -x "$program" ] || { echo "bench/volume.sh: $program not found; build first" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/nvd-bench-volume.XXXXXX)
PLUGIN_PID=
stop_plugin() {
    if [ -n "$PLUGIN_PID" ]; then
        kill -TERM "$PLUGIN_PID" 2>/dev/null || true
        wait "$PLUGIN_PID" 2>/dev/null || true
        PLUGIN_PID=
    fi
}
finish() {
    stop_plugin
    rm -rf "$WORK"
}
trap finish EXIT

ROOT="$WORK/root"
VERSION=$("$BIN/nvd-sim" init "$ROOT" --profile a100x8 2>&1 |
    sed -n 's/^.*: driver \([0-9.]*\),.*$/\1/p' | head -n 1)
[ -n "$VERSION" ] || { echo "bench/volume.sh: nvd-sim init did not name the driver version" >&2; exit 1; }

# start_plugin VOLUMES_DIR: start a plugin on the root with its socket in $WORK/sock.
start_plugin() {
    rm -rf "$WORK/sock"
    "$BIN/nvidia-docker-plugin" -s "$WORK/sock" -l 127.0.0.1:0 --driver-root "$ROOT" \
        -d "$1" </dev/null >>"$WORK/plugin.log" 2>&1 &
    PLUGIN_PID=$!
    for _ in $(seq 100); do
        [ -S "$WORK/sock/nvidia-docker.sock" ] && return 0
        sleep 0.1
    done
    echo "bench/volume.sh: the plugin did not create its socket; log: $WORK/plugin.log" >&2
    exit 1
}

# call ENDPOINT BODY: POST BODY to the plugin; prints the reply, then the seconds taken.
call() {
    curl -s --max-time 120 --unix-socket "$WORK/sock/nvidia-docker.sock" -H "$ACCEPT" \
        -X POST -d "$2" -w '\n%{time_total}\n' "http://plugin/VolumeDriver.$1"
}

median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# now_s: seconds since the epoch, with nanoseconds.
now_s() {
    date +%s.%N
}

# --- 1. Build time ------------------------------------------------------------

plugin_times=()
for run in $(seq "$RUNS"); do
    start_plugin "$WORK/volumes-$run"
    reply=$(call Create "{\"Name\":\"nvidia_driver_$VERSION\"}")
    case "$reply" in
        *'"Err":null'*) ;;
        *) echo "bench/volume.sh: Create failed: $reply" >&2; exit 1 ;;
    esac
    plugin_times+=("$(printf '%s\n' "$reply" | tail -n 1)")
    stop_plugin
done
TREE="$WORK/volumes-1/nvidia_driver/$VERSION"
FILES=$(find "$TREE" | wc -l)

cp_times() {
    local flags=$1 run start end
    for run in $(seq "$RUNS"); do
        rm -rf "$WORK/copy"
        sync
        start=$(now_s)
        cp "$flags" "$TREE" "$WORK/copy"
        end=$(now_s)
        echo "$end - $start" | bc -l
    done
    rm -rf "$WORK/copy"
}
plugin_median=$(printf '%s\n' "${plugin_times[@]}" | median)
link_median=$(cp_times -al | median)
copy_median=$(cp_times -a | median)

echo "driver $VERSION (a100x8), $FILES entries in the volume, $RUNS runs each"
printf 'plugin Create (curl time_total): median %.4f s\n' "$plugin_median"
printf 'cp -al:                          median %.4f s\n' "$link_median"
printf 'cp -a:                           median %.4f s\n' "$copy_median"
printf 'plugin / cp -al: %.2f\n' "$(echo "$plugin_median / $link_median" | bc -l)"
printf 'plugin / cp -a:  %.2f\n' "$(echo "$plugin_median / $copy_median" | bc -l)"

# --- 2. Concurrent Create+Mount of a new version -----------------------------

NEW_VERSION=999.99
start_plugin "$WORK/volumes-concurrent"
"$BIN/nvd-sim" init "$ROOT" --profile a100x8 --driver-version "$NEW_VERSION" >/dev/null
mkdir -p "$WORK/clients"
# One curl runs every request, at most CLIENTS at once, so the measure is
# the plugin's and not the start-up of hundreds of client processes. Each
# request is a group of its own ("next"), or curl would join the bodies.
# request_config ENDPOINT BODY OUTPUT: print one request's group for curl --config.
request_config() {
    printf 'next\nurl = "http://plugin/VolumeDriver.%s"\nunix-socket = "%s"\n' "$1" "$WORK/sock/nvidia-docker.sock"
    printf 'header = "%s"\nrequest = "POST"\nmax-time = 120\n' "$ACCEPT"
    printf 'data = "%s"\noutput = "%s"\nwrite-out = "%%{time_total} %%{filename_effective}\\n"\n' "$2" "$3"
}
for client in $(seq "$CLIENTS"); do
    request_config Create "{\\\"Name\\\":\\\"nvidia_driver_$NEW_VERSION\\\"}" "$WORK/clients/create-$client"
    request_config Mount "{\\\"Name\\\":\\\"nvidia_driver_$NEW_VERSION\\\",\\\"ID\\\":\\\"client-$client\\\"}" \
        "$WORK/clients/mount-$client"
done | sed 1d >"$WORK/requests.conf"
curl -s --parallel --parallel-immediate --parallel-max "$CLIENTS" \
    --config "$WORK/requests.conf" >"$WORK/times" 2>/dev/null || true

successes=$(grep -l '"Err":null' "$WORK/clients"/* 2>/dev/null | wc -l)
# The server's log of closed connections is rate-limited, so this counts log lines.
rejected=$(grep -c 'reached connection limit' "$WORK/plugin.log" || true)
# Percentiles by the nearest-rank method, over the requests whose reply has "Err":null.
percentile() {
    while read -r seconds file; do
        grep -q '"Err":null' "$file" 2>/dev/null && echo "$seconds"
    done <"$WORK/times" | sort -g |
        awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100); if (i < NR * p / 100) i++; print (NR ? v[i] : 0) }'
}
p50=$(percentile 50)
p99=$(percentile 99)
dirs=$(find "$WORK/volumes-concurrent/nvidia_driver" -mindepth 1 -maxdepth 1 | wc -l)
leftovers=$(find "$WORK/volumes-concurrent" -maxdepth 1 -name '.build-*' | wc -l)
mounts=$(grep -c '"ID"' "$WORK/volumes-concurrent/mounts.json" || true)
stop_plugin

echo "$CLIENTS Create and $CLIENTS Mount requests of nvidia_driver_$NEW_VERSION, $CLIENTS at once:"
echo "  successful replies: $successes of $(( 2 * CLIENTS ))"
echo "  log lines of connections closed at the plugin API's connection limit: $rejected"
echo "  version directories: $dirs, leftover builds: $leftovers, mounts recorded: $mounts"
printf '  time per successful request (curl time_total): p50 %.4f s, p99 %.4f s\n' "$p50" "$p99"
