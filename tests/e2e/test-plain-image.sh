#!/bin/bash
# An image without the com.nvidia.volumes.needed label gets no GPU and no
# driver volume, unless NV_GPU selects GPUs explicitly.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

probe='ls /dev; if [ -e /usr/local/nvidia ]; then echo has-driver-volume; fi'

run_ok "$NVIDIA_DOCKER" run --rm "$PLAIN_IMAGE" sh -c "$probe"
expect_no_line "/dev of the plain image" nvidia0 "$OUT"
expect_no_line "/dev of the plain image" nvidiactl "$OUT"
expect_no_line "output of the plain image" has-driver-volume "$OUT"

run_ok env NV_GPU=0 "$NVIDIA_DOCKER" run --rm "$PLAIN_IMAGE" sh -c "$probe"
expect_line "/dev of the plain image with NV_GPU=0" nvidia0 "$OUT"
expect_no_line "/dev of the plain image with NV_GPU=0" nvidia1 "$OUT"
expect_line "output of the plain image with NV_GPU=0" has-driver-volume "$OUT"

# The plain image has no LD_LIBRARY_PATH for the driver volume, so set it.
run_ok env NV_GPU=0 "$NVIDIA_DOCKER" run --rm \
    -e LD_LIBRARY_PATH=/usr/local/nvidia/lib64 "$PLAIN_IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output of the plain image with NV_GPU=0" \
"GPU 0: $GPU_NAME (UUID: $GPU0_UUID)" "$OUT"
