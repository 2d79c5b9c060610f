#!/bin/bash
# The nvidia-docker 1.0 form without the wrapper: docker run with the options
# that the plugin's /docker/cli returns. dev= selects GPUs as NV_GPU does.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

run_ok curl -s http://localhost:3476/docker/cli
options=$OUT
expect_contains "/docker/cli" "--volume-driver=nvidia-docker" "$options"
expect_contains "/docker/cli" "--volume=nvidia_driver_$DRIVER_VERSION:/usr/local/nvidia:ro" "$options"

# The options are split on spaces, as $(curl ...) on a command line is.
# shellcheck disable=SC2086
run_ok "$DOCKER" run --rm $options "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output" \
"GPU 0: $GPU_NAME (UUID: $GPU0_UUID)
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

run_ok curl -s 'http://localhost:3476/docker/cli?dev=1'
options=$OUT
# shellcheck disable=SC2086
run_ok "$DOCKER" run --rm $options "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L output with dev=1" \
"GPU 0: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"
