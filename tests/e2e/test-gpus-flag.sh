#!/bin/bash
# docker's --gpus option (Docker 19.03+ syntax) is translated into devices
# and the driver volume, and removed: this engine has no NVIDIA hook, so a
# --gpus that reached it would fail the run.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

name=nvd-e2e-gpus-flag
remove_container() {
    "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
}
trap remove_container EXIT

gpu0="GPU 0: $GPU_NAME (UUID: $GPU0_UUID)"
gpu1_alone="GPU 0: $GPU_NAME (UUID: $GPU1_UUID)"
both="$gpu0
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)"
libs=LD_LIBRARY_PATH=/usr/local/nvidia/lib64

error_message() {
    printf '%s\n' "${ERR#* Error: }"
}

# The premise: docker itself fails on --gpus with this engine.
capture "$DOCKER" run --rm --gpus all "$PLAIN_IMAGE" true
expect_failure

# --gpus gives GPUs to an image without label or variable.
run_ok "$NVIDIA_DOCKER" run --rm --gpus all -e "$libs" "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --gpus all" "$both" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm --gpus=2 -e "$libs" "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --gpus=2" "$both" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm --gpus 1 -e "$libs" "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --gpus 1" "$gpu0" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm --gpus '"device=1"' -e "$libs" "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --gpus '\"device=1\"'" "$gpu1_alone" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm --gpus "device=$GPU1_UUID" -e "$libs" "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --gpus device=$GPU1_UUID" "$gpu1_alone" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm --gpus '"device=1,0",capabilities=utility' -e "$libs" \
    "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --gpus '\"device=1,0\"'" "$both" "$OUT"

# --gpus narrows a labelled image, which would get every GPU.
run_ok "$NVIDIA_DOCKER" container run --rm --gpus device=1 "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L of $IMAGE with --gpus device=1" "$gpu1_alone" "$OUT"

# --gpus 0 requests no GPU: a plain container, and still no --gpus for docker.
run_ok "$NVIDIA_DOCKER" run --rm --gpus 0 "$IMAGE" sh -c 'ls /dev'
expect_no_line "/dev with --gpus 0" nvidiactl "$OUT"

# The container docker creates has the devices and no device request.
run_ok "$NVIDIA_DOCKER" create --name "$name" --gpus 1 "$PLAIN_IMAGE" true
run_ok "$DOCKER" inspect -f '{{json .HostConfig.DeviceRequests}} {{range .HostConfig.Devices}}{{.PathInContainer}} {{end}}' "$name"
expect_contains "DeviceRequests and Devices of $name" "null " "$OUT"
expect_contains "DeviceRequests and Devices of $name" "/dev/nvidia0 " "$OUT"
expect_not_contains "DeviceRequests and Devices of $name" "/dev/nvidia1 " "$OUT"
remove_container

# NV_GPU and --gpus together must agree.
run_ok env NV_GPU=1 "$NVIDIA_DOCKER" run --rm --gpus device=1 "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_GPU=1 and --gpus device=1" "$gpu1_alone" "$OUT"

# Bad values: one line naming the value and what to do, exit 1, no container.
before=$(count_containers)
check_bad() {
    local message=$1
    shift
    capture "$@"
    expect_status 1
    expect_eq "error of: $*" "$message" "$(error_message)"
    expect_eq "number of lines on stderr" 1 "$(printf '%s\n' "$ERR" | wc -l)"
}
check_bad "--gpus 3 requests 3 GPUs, but this host has 2: request at most 2, or all" \
    "$NVIDIA_DOCKER" run --name "$name" --gpus 3 "$IMAGE" true
check_bad "--gpus device=9: invalid device: 9; valid devices are 0 ($GPU0_UUID), 1 ($GPU1_UUID), all, none and void" \
    "$NVIDIA_DOCKER" run --name "$name" --gpus device=9 "$IMAGE" true
check_bad "invalid --gpus lots: \"lots\" is not a count; give all, a count such as 2, or device=0 (quote a list: '\"device=0,2\"')" \
    "$NVIDIA_DOCKER" run --name "$name" --gpus lots "$IMAGE" true
check_bad "--gpus is given 2 times: give it once, with every GPU the container needs" \
    "$NVIDIA_DOCKER" run --name "$name" --gpus 1 --gpus 2 "$IMAGE" true
check_bad "NV_GPU=0 and --gpus device=1 choose different GPUs: give only one of them" \
    env NV_GPU=0 "$NVIDIA_DOCKER" run --name "$name" --gpus device=1 "$IMAGE" true
expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
