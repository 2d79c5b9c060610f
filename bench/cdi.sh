#!/bin/bash
# Time of CDI spec generation, per nvd-sim profile.
#
# Usage: bench/cdi.sh BUILD_DIR [PROFILE...]   (as root; default: k80x2 a100x8 gpu64)
#
# For each profile, on a fresh nvd-sim root:
# 1. `nvidia-docker cdi generate` as a whole command (process start,
#    discovery through NVML and CUDA, the spec), timed by hyperfine after a
#    first run has built the driver volume.
# 2. GET /cdi/json on a running plugin, whose host is discovered once and
#    whose volume exists, so each request renders the spec: wrk 4.1 with one
#    connection for 3 s, printing requests per second and the p50 and p99
#    latency.
# The plugin listens on 127.0.0.1:0, and its port is read with ss.
set -eu

[ $# -ge 1 ] || { echo "usage: bench/cdi.sh BUILD_DIR [PROFILE...]" >&2; exit 2; }
BIN="$(cd "$1" && pwd)/bin"
shift
PROFILES=("$@")
[ ${#PROFILES[@]} -gt 0 ] || PROFILES=(k80x2 a100x8 gpu64)
for program in "$BIN/nvd-sim" "$BIN/nvidia-docker" "$BIN/nvidia-docker-cdi" \
               "$BIN/nvidia-docker-plugin" hyperfine wrk ss; do
    command -v "$program" >/dev/null ||
        { echo "bench/cdi.sh: $program not found; build first and install hyperfine and wrk" >&2; exit 1; }
done

# shellcheck source=bench/plugin.sh
. "$(dirname "$0")/plugin.sh"
bench_work cdi

# plugin_port: the TCP port the plugin listens on, once it listens.
plugin_port() {
    ss -Hltnp 2>/dev/null | grep "pid=$PLUGIN_PID," | sed -n 's/^.*127\.0\.0\.1:\([0-9]*\) .*$/\1/p' |
        head -n 1
}

printf '%-10s %8s %22s %12s %12s %12s\n' profile devices "cdi generate (mean)" "REST req/s" "REST p50" "REST p99"
for profile in "${PROFILES[@]}"; do
    root="$WORK/$profile/root"
    volumes="$WORK/$profile/volumes"
    "$BIN/nvd-sim" init "$root" --profile "$profile" >"$WORK/sim.log" 2>&1 ||
        { echo "bench/cdi.sh: nvd-sim init --profile $profile failed:" >&2; cat "$WORK/sim.log" >&2; exit 1; }

    generate=("$BIN/nvidia-docker" cdi generate --driver-root "$root" --volumes-dir "$volumes")
    "${generate[@]}" >"$WORK/spec.json"
    devices=$(grep -c '"name":' "$WORK/spec.json")
    hyperfine -N -w 5 -r 50 --export-json "$WORK/hyperfine.json" "${generate[*]}" >/dev/null 2>&1
    mean_ms=$(sed -n 's/^ *"mean": \([0-9.e-]*\),$/\1/p' "$WORK/hyperfine.json" | head -n 1 |
        awk '{ printf "%.2f ms", $1 * 1000 }')

    rm -rf "$WORK/sock"
    "$BIN/nvidia-docker-plugin" -s "$WORK/sock" -l 127.0.0.1:0 --driver-root "$root" \
        -d "$volumes" </dev/null >>"$WORK/plugin.log" 2>&1 &
    PLUGIN_PID=$!
    port=
    for _ in $(seq 100); do
        port=$(plugin_port)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "bench/cdi.sh: the plugin did not listen; log: $WORK/plugin.log" >&2; exit 1; }
    curl -s --fail -o /dev/null "http://127.0.0.1:$port/cdi/json"

    wrk -t1 -c1 -d3s --latency "http://127.0.0.1:$port/cdi/json" >"$WORK/wrk.txt"
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk.txt")
    p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.txt")
    p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.txt")
    stop_plugin

    printf '%-10s %8s %22s %12s %12s %12s\n' "$profile" "$devices" "$mean_ms" "$rps" "$p50" "$p99"
done
