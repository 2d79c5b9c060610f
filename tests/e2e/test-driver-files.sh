#!/bin/bash
# The driver volume: nvidia-docker creates nvidia_driver_<version> with the
# nvidia-docker driver and mounts it read-only on /usr/local/nvidia, with the
# libraries in lib64 and the programs in bin.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" ls /usr/local/nvidia/lib64
expect_line "/usr/local/nvidia/lib64" libcuda.so.1 "$OUT"
expect_line "/usr/local/nvidia/lib64" libcuda.so "$OUT"
expect_line "/usr/local/nvidia/lib64" libnvidia-ml.so.1 "$OUT"

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" ls /usr/local/nvidia/bin
expect_line "/usr/local/nvidia/bin" nvidia-smi "$OUT"

capture "$NVIDIA_DOCKER" run --rm "$IMAGE" touch /usr/local/nvidia/write-probe
expect_failure
expect_contains "stderr of a write to /usr/local/nvidia" "Read-only file system" "$ERR"

run_ok "$DOCKER" volume inspect --format '{{.Driver}}' "nvidia_driver_$DRIVER_VERSION"
expect_eq "driver of volume nvidia_driver_$DRIVER_VERSION" nvidia-docker "$OUT"
