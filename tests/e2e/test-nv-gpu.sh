#!/bin/bash
# NV_GPU selects GPUs by index or UUID prefix. The container gets only the
# selected GPU's device node, and nvidia-smi inside numbers that GPU 0, as
# NVIDIA's nvidia-smi does.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

expected="GPU 0: $GPU_NAME (UUID: $GPU1_UUID)"

run_ok env NV_GPU=1 "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output with NV_GPU=1" "$expected" "$OUT"

run_ok env NV_GPU=1 "$NVIDIA_DOCKER" run --rm "$IMAGE" ls /dev
expect_line "/dev with NV_GPU=1" nvidia1 "$OUT"
expect_line "/dev with NV_GPU=1" nvidiactl "$OUT"
expect_line "/dev with NV_GPU=1" nvidia-uvm "$OUT"
expect_no_line "/dev with NV_GPU=1" nvidia0 "$OUT"

# The full UUID, and a prefix of it, which nvidia-docker 1.0 also accepted.
run_ok env NV_GPU="$GPU1_UUID" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output with NV_GPU=$GPU1_UUID" "$expected" "$OUT"

run_ok env NV_GPU="${GPU1_UUID:0:12}" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output with NV_GPU=${GPU1_UUID:0:12}" "$expected" "$OUT"
