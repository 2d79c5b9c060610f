#!/bin/bash
# NV_GPU naming a GPU that does not exist: nvidia-docker prints
# "invalid device: 9", exits 1 and never runs docker.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

name=nvd-e2e-bad-gpu
remove_container() {
    "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
}
trap remove_container EXIT

before=$(count_containers)

capture env NV_GPU=9 "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "invalid device: 9" "$ERR"

# Without --rm, a container that docker created would stay and be counted.
capture env NV_GPU=9 "$NVIDIA_DOCKER" run --name "$name" "$IMAGE" true
expect_status 1
expect_contains "stderr" "invalid device: 9" "$ERR"

expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
