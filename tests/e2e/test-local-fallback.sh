#!/bin/bash
# Local mode without a plugin on localhost:3476: nvidia-docker discovers the
# GPUs in its own process under NV_DRIVER_ROOT and gives the container the
# same devices the plugin would. The commands run in a network namespace of
# their own, where nothing listens on port 3476, while dockerd and the
# plugin's volume socket stay reachable through the file system.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

# offline COMMAND...: run COMMAND where localhost:3476 refuses connections.
offline() {
    unshare -n sh -c 'ip link set lo up && exec "$@"' offline "$@"
}

before=$(count_containers)

run_ok offline env NV_DRIVER_ROOT="$SIMROOT" NV_GPU=1 "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_GPU=1" "GPU 0: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

run_ok offline env NV_DRIVER_ROOT="$SIMROOT" NV_GPU=1 "$NVIDIA_DOCKER" run --rm "$IMAGE" ls /dev
expect_line "/dev with NV_GPU=1" nvidia1 "$OUT"
expect_line "/dev with NV_GPU=1" nvidiactl "$OUT"
expect_no_line "/dev with NV_GPU=1" nvidia0 "$OUT"

# Every GPU, as the plugin lists them.
run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
plugin_list=$OUT
run_ok offline env NV_DRIVER_ROOT="$SIMROOT" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L without the plugin" "$plugin_list" "$OUT"

# The selection grammar's message, as the plugin gives it.
capture offline env NV_DRIVER_ROOT="$SIMROOT" NV_GPU=9 "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "Error: NV_GPU=9: invalid device: 9; valid devices are 0 (" "$ERR"

# Neither a plugin nor a driver: one line with both causes.
capture offline env NV_DRIVER_ROOT="$E2E_TMP/no-driver" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "no nvidia-docker-plugin at localhost:3476 (Connection refused), and discovery in this process failed:" "$ERR"
expect_contains "stderr" "$E2E_TMP/no-driver" "$ERR"
expect_contains "stderr" "start nvidia-docker-plugin, or set NV_DRIVER_ROOT" "$ERR"
expect_eq "stderr lines" 1 "$(printf '%s\n' "$ERR" | wc -l)"

# No plugin registered with Docker either (its socket hidden from the
# wrapper only): the volume cannot be made, said at once and not after
# dockerd's retries.
no_plugin() {
    unshare -n -m sh -c 'ip link set lo up && mount -t tmpfs tmpfs /run/docker/plugins &&
        exec "$@"' no_plugin "$@"
}
capture no_plugin env NV_DRIVER_ROOT="$SIMROOT" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "none is registered with Docker (no /run/docker/plugins/nvidia-docker.sock)" "$ERR"
expect_contains "stderr" "start nvidia-docker-plugin" "$ERR"
expect_eq "stderr lines" 1 "$(printf '%s\n' "$ERR" | wc -l)"

# Pass-through commands never look for a plugin or a driver.
run_ok offline env NV_DRIVER_ROOT="$E2E_TMP/no-driver" "$NVIDIA_DOCKER" ps -q

expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
