#!/bin/bash
# nvidia-docker run of a labelled image gets every GPU: nvidia-smi inside the
# container lists both k80x2 GPUs, in NVML order.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output" \
"GPU 0: $GPU_NAME (UUID: $GPU0_UUID)
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# The container's exit status is docker's, which is the command's.
capture "$NVIDIA_DOCKER" run --rm "$IMAGE" sh -c 'exit 3'
expect_status 3
