#!/bin/bash
# Volume build time of nvidia-docker-plugin against cp, and concurrent
# Create+Mount of a new driver version.
#
# Usage: bench/volume.sh BUILD_DIR [RUNS]     (RUNS defaults to 31)
#
# 1. On an nvd-sim root (profile a100x8), each run builds
#    nvidia_driver_<version> three ways, one after the other, on the file
#    system of /tmp: the plugin through VolumeDriver.Create on its Unix
#    socket, then `cp -al` and `cp -a` of a tree that the plugin built
#    before the runs (the same files, hard-linked or copied). RUNS runs with
#    a fresh plugin and -d per build, nothing deleted until the end, then
#    RUNS runs with one running plugin, each build replacing the previous
#    one. The page cache is warm, because the root was just written. Prints
#    the median, 10th and 90th percentiles of each method, the ratios of the
#    medians and the median of the ratios within a run.
#    Create is timed by curl's time_total, from the connection to the reply.
#    cp is timed by bash's EPOCHREALTIME, so its time includes starting the
#    cp process. The start of /bin/true, timed the same way, is printed too.
# 2. The root is upgraded to a new driver version, and one curl sends 200
#    Create and 200 Mount requests (each Mount with its own ID) for it, 200
#    at once. Prints the successful replies, the p50 and p99 per request,
#    and the version directories, leftover builds and mount records after.
# The plugin listens on 127.0.0.1:0, so it takes no fixed port.
set -eu

[ $# -ge 1 ] || { echo "usage: bench/volume.sh BUILD_DIR [RUNS]" >&2; exit 2; }
BIN="$(cd "$1" && pwd)/bin"
RUNS=${2:-31}
CLIENTS=200
ACCEPT='Accept: application/vnd.docker.plugins.v1.2+json'
for program in "$BIN/nvd-sim" "$BIN/nvidia-docker-plugin"; do
    [ -x "$program" ] || { echo "bench/volume.sh: $program not found; build first" >&2; exit 1; }
done

# shellcheck source=bench/plugin.sh
. "$(dirname "$0")/plugin.sh"
bench_work volume

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

# --- 1. Build time ------------------------------------------------------------

# percentile P: the P-th percentile (nearest rank) of the numbers on stdin.
percentile() {
    sort -g | awk -v p="$1" '{ v[NR] = $1 }
        END { i = int(NR * p / 100); if (i < NR * p / 100) i++; if (i < 1) i = 1; print (NR ? v[i] : 0) }'
}

# timed COMMAND...: run COMMAND and print the seconds it took, by EPOCHREALTIME.
timed() {
    local start=$EPOCHREALTIME end
    "$@"
    end=$EPOCHREALTIME
    echo "$end - $start" | bc -l
}

# check_created REPLY: exit unless REPLY (a reply, then its time) has "Err":null.
check_created() {
    case "$1" in
        *'"Err":null'*) ;;
        *) echo "bench/volume.sh: Create failed: $1" >&2; exit 1 ;;
    esac
}

# Each run writes its times to $WORK/<method>.times.
reset_times() {
    local method
    for method in plugin link copy true; do
        : >"$WORK/$method.times"
    done
}

# a. A fresh plugin with a fresh -d per build; nothing is deleted until the
# end, so no method allocates inodes among freshly deleted ones.
runs_fresh() {
    local run reply
    reset_times
    for run in $(seq "$RUNS"); do
        start_plugin "$WORK/volumes-$run"
        reply=$(call Create "{\"Name\":\"nvidia_driver_$VERSION\"}")
        check_created "$reply"
        printf '%s\n' "$reply" | tail -n 1 >>"$WORK/plugin.times"
        stop_plugin
        timed cp -al "$TREE" "$WORK/link-$run" >>"$WORK/link.times"
        timed cp -a "$TREE" "$WORK/copy-$run" >>"$WORK/copy.times"
        timed /bin/true >>"$WORK/true.times"
    done
}

# b. One running plugin, as in use: each build replaces the previous one,
# removed by Remove for the plugin and by rm -rf for cp, untimed.
runs_running() {
    local run reply
    reset_times
    start_plugin "$WORK/volumes-running"
    for run in $(seq "$RUNS"); do
        call Remove "{\"Name\":\"nvidia_driver_$VERSION\"}" >/dev/null
        reply=$(call Create "{\"Name\":\"nvidia_driver_$VERSION\"}")
        check_created "$reply"
        printf '%s\n' "$reply" | tail -n 1 >>"$WORK/plugin.times"
        rm -rf "$WORK/link"
        timed cp -al "$TREE" "$WORK/link" >>"$WORK/link.times"
        rm -rf "$WORK/copy"
        timed cp -a "$TREE" "$WORK/copy" >>"$WORK/copy.times"
        timed /bin/true >>"$WORK/true.times"
    done
    stop_plugin
}

# summary NAME FILE: print the median and the 10th and 90th percentiles in ms.
summary() {
    printf '  %-22s median %7.2f ms   p10 %7.2f ms   p90 %7.2f ms\n' "$1" \
        "$(echo "$(percentile 50 <"$2") * 1000" | bc -l)" \
        "$(echo "$(percentile 10 <"$2") * 1000" | bc -l)" \
        "$(echo "$(percentile 90 <"$2") * 1000" | bc -l)"
}

# report TITLE: print the times of the last runs and the plugin's ratios.
report() {
    local plugin_median link_median copy_median
    plugin_median=$(percentile 50 <"$WORK/plugin.times")
    link_median=$(percentile 50 <"$WORK/link.times")
    copy_median=$(percentile 50 <"$WORK/copy.times")
    echo "$1:"
    summary "plugin Create" "$WORK/plugin.times"
    summary "cp -al" "$WORK/link.times"
    summary "cp -a" "$WORK/copy.times"
    summary "start of /bin/true" "$WORK/true.times"
    printf '  ratio of the medians: plugin / cp -al %.2f, plugin / cp -a %.2f\n' \
        "$(echo "$plugin_median / $link_median" | bc -l)" \
        "$(echo "$plugin_median / $copy_median" | bc -l)"
    # The three builds of one run follow each other, so the ratio within a
    # run cancels much of the noise of a machine shared with other work.
    paste "$WORK/plugin.times" "$WORK/link.times" | awk '{ print $1 / $2 }' >"$WORK/link.ratios"
    paste "$WORK/plugin.times" "$WORK/copy.times" | awk '{ print $1 / $2 }' >"$WORK/copy.ratios"
    printf '  median ratio per run: plugin / cp -al %.2f (p10 %.2f, p90 %.2f), plugin / cp -a %.2f (p10 %.2f, p90 %.2f)\n' \
        "$(percentile 50 <"$WORK/link.ratios")" "$(percentile 10 <"$WORK/link.ratios")" \
        "$(percentile 90 <"$WORK/link.ratios")" "$(percentile 50 <"$WORK/copy.ratios")" \
        "$(percentile 10 <"$WORK/copy.ratios")" "$(percentile 90 <"$WORK/copy.ratios")"
}

# The tree that cp copies: a build of the plugin, kept aside.
start_plugin "$WORK/volumes-tree"
check_created "$(call Create "{\"Name\":\"nvidia_driver_$VERSION\"}")"
stop_plugin
TREE="$WORK/volumes-tree/nvidia_driver/$VERSION"
FILES=$(find "$TREE" | wc -l)

echo "driver $VERSION (a100x8), $FILES entries in the volume, $RUNS runs each, warm page cache,"
echo "on $(stat -f -c %T "$WORK") ($WORK), $(nproc) CPUs, load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
runs_fresh
report "a. a fresh plugin and -d per build, nothing deleted"
runs_running
report "b. one running plugin, each build replacing the previous one"
echo "load average after: $(cut -d ' ' -f 1-3 /proc/loadavg)"

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
# The times of the requests whose reply has "Err":null.
while read -r seconds file; do
    if grep -q '"Err":null' "$file" 2>/dev/null; then
        echo "$seconds"
    fi
done <"$WORK/times" >"$WORK/success.times"
p50=$(percentile 50 <"$WORK/success.times")
p99=$(percentile 99 <"$WORK/success.times")
dirs=$(find "$WORK/volumes-concurrent/nvidia_driver" -mindepth 1 -maxdepth 1 | wc -l)
leftovers=$(find "$WORK/volumes-concurrent" -maxdepth 1 -name '.build-*' | wc -l)
mounts=$(grep -c '"ID"' "$WORK/volumes-concurrent/mounts.json" || true)
stop_plugin

echo "$CLIENTS Create and $CLIENTS Mount requests of nvidia_driver_$NEW_VERSION, $CLIENTS at once:"
echo "  successful replies: $successes of $(( 2 * CLIENTS ))"
echo "  log lines of connections closed at the plugin API's connection limit: $rejected"
echo "  version directories: $dirs, leftover builds: $leftovers, mounts recorded: $mounts"
printf '  time per successful request (curl time_total): p50 %.4f s, p99 %.4f s\n' "$p50" "$p99"
