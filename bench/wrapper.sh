#!/bin/bash
# The cost of nvidia-docker itself, with a Docker engine and the plugin up.
#
# Usage: bench/wrapper.sh BUILD_DIR [RUNS [BASELINE]]
#        (as root; RUNS defaults to 300; BASELINE: another nvidia-docker
#        binary, such as one built from an earlier commit, timed in the same
#        session as a fifth command, "baseline run")
#
# Like the end-to-end harness, it runs itself again in private mount and
# network namespaces, starts its own dockerd and an nvidia-docker-plugin on
# an nvd-sim root (profile k80x2) at 127.0.0.1:3476, and imports the CUDA
# 8.0 test image. Then, with hyperfine:
# 1. Wrapper cost: NV_DOCKER names /bin/true, so docker's own time drops
#    out. `nvidia-docker run --rm IMAGE true` (image inspection through the
#    engine, the plugin's CUDA version and /docker/cli, the driver volume
#    made sure of, the exec) and `nvidia-docker ps` (pass-through), each
#    side by side with /bin/true given the same arguments. RUNS runs each.
# 2. End to end: `nvidia-docker run --rm IMAGE true` against `docker run
#    --rm` with the options that nvidia-docker adds, 30 runs each.
set -eu

PROG=bench/wrapper.sh
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
REPO=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/e2e/common.sh
. "$REPO/tests/e2e/common.sh"

IMAGE=nvd-bench/cuda:8.0

usage() {
    echo "usage: bench/wrapper.sh BUILD_DIR [RUNS [BASELINE]]" >&2
    exit 2
}

outer_main() {
    [ $# -ge 1 ] || usage
    [ "$(id -u)" -eq 0 ] || die "must run as root (it starts dockerd)"
    BUILD=$(cd "$1" && pwd)
    for program in nvd-sim nvidia-docker-plugin nvidia-docker; do
        [ -x "$BUILD/bin/$program" ] || die "$BUILD/bin/$program not found; build first: make"
    done
    command -v hyperfine >/dev/null || die "hyperfine not found; apt-get install hyperfine"
    mkdir -p /run/docker/plugins
    WORK=$(mktemp -d /tmp/nvd-bench-wrapper.XXXXXX)
    trap 'rm -rf "$WORK"' EXIT
    local baseline=
    if [ -n "${3:-}" ]; then
        [ -x "$3" ] || die "$3 is not an executable nvidia-docker"
        baseline=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
    fi
    unshare -m -n --propagation private "$SELF" --in-namespace "$WORK" "$BUILD" "${2:-300}" \
        "$baseline"
}

inner_cleanup() {
    set +e
    stop_process "${PLUGIN_PID:-}" nvidia-docker-plugin 10
    stop_process "${DOCKERD_PID:-}" dockerd 30
}

inner_main() {
    WORK=$1
    BUILD=$2
    RUNS=$3
    BASELINE=${4:-}
    PLUGIN="$BUILD/bin/nvidia-docker-plugin"
    WRAPPER="$BUILD/bin/nvidia-docker"
    PLUGIN_PID=
    DOCKERD_PID=
    trap inner_cleanup EXIT
    ip link set lo up
    isolate_docker_dirs
    export DOCKER_CONFIG="$WORK/docker-config"
    mkdir -p "$DOCKER_CONFIG"
    unset NV_GPU NV_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

    start_dockerd "$WORK"
    "$BUILD/bin/nvd-sim" init "$WORK/sim" --profile k80x2 >"$WORK/setup.log" 2>&1 ||
        die "nvd-sim init failed (log: $WORK/setup.log)"
    make_rootfs "$WORK/rootfs" "$WORK/sim/usr/bin/nvidia-smi" >>"$WORK/setup.log" 2>&1
    import_cuda_image "$WORK/rootfs" "$IMAGE" >>"$WORK/setup.log" 2>&1 ||
        die "docker import of $IMAGE failed (log: $WORK/setup.log)"
    start_plugin "$WORK/plugin.log" /run/docker/plugins 127.0.0.1:3476 \
        --driver-root "$WORK/sim" --dev-root "$WORK/sim" -d "$WORK/volumes"

    # The command line that nvidia-docker runs, and a first run that
    # creates the driver volume, as every later run finds it.
    local added
    added=$(env NV_DOCKER=echo "$WRAPPER" run --rm "$IMAGE" true) ||
        die "nvidia-docker run with NV_DOCKER=echo failed"
    "$WRAPPER" run --rm "$IMAGE" true || die "nvidia-docker run --rm $IMAGE true failed"
    echo "nvidia-docker runs: docker $added"
    echo "shared objects of nvidia-docker: $(ldd "$WRAPPER" | wc -l) (ldd lines, vdso and loader included)"

    echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
        "load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
    echo "== 1. Wrapper cost (NV_DOCKER=/bin/true), $RUNS runs each"
    local baseline_args=()
    if [ -n "$BASELINE" ]; then
        baseline_args=(-n "baseline run" "$BASELINE run --rm $IMAGE true")
    fi
    NV_DOCKER=/bin/true hyperfine -N --warmup 20 --runs "$RUNS" --style basic \
        --export-json "$WORK/cost.json" \
        -n "true run" "/bin/true run --rm $IMAGE true" \
        -n "nvidia-docker run" "$WRAPPER run --rm $IMAGE true" \
        -n "true ps" "/bin/true ps" \
        -n "nvidia-docker ps" "$WRAPPER ps" \
        "${baseline_args[@]}" >/dev/null 2>>"$WORK/hyperfine.log" ||
        die "hyperfine failed: $(tail -n 5 "$WORK/hyperfine.log")"
    report "$WORK/cost.json" 3
    local run_cost ps_cost
    run_cost=$(jq '(.results[1].median - .results[0].median) * 1000' "$WORK/cost.json")
    ps_cost=$(jq '(.results[3].median - .results[2].median) * 1000' "$WORK/cost.json")
    printf 'wrapper cost, difference of medians: run %.2f ms (target < 5 ms), ps %.2f ms (target < 1 ms)\n' \
        "$run_cost" "$ps_cost"

    echo "== 2. End to end, 30 runs each"
    # $added is "run --rm OPTION... IMAGE true": one word per option.
    # shellcheck disable=SC2086
    NV_DOCKER=$DOCKER hyperfine -N --warmup 2 --runs 30 --style basic \
        --export-json "$WORK/e2e.json" \
        -n "docker run (same options)" "$DOCKER $added" \
        -n "nvidia-docker run" "$WRAPPER run --rm $IMAGE true" \
        >/dev/null 2>>"$WORK/hyperfine.log" ||
        die "hyperfine failed: $(tail -n 5 "$WORK/hyperfine.log")"
    report "$WORK/e2e.json" 1
}

# report JSON DIGITS: one line per command of a hyperfine JSON export:
# median, mean and standard deviation in ms.
report() {
    jq -r --argjson d "$2" '.results[] |
        "\(.command): median \(.median * 1000 * pow(10; $d) | round / pow(10; $d)) ms, " +
        "mean \(.mean * 1000 * pow(10; $d) | round / pow(10; $d)) ms " +
        "± \(.stddev * 1000 * pow(10; $d) | round / pow(10; $d)) ms"' "$1"
}

if [ "${1:-}" = --in-namespace ]; then
    shift
    inner_main "$@"
else
    outer_main "$@"
fi
