#!/bin/bash
# Commands other than run and create pass through to docker unchanged. The
# version command first prints "NVIDIA Docker: <version>" and an empty line.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

run_ok "$NVIDIA_DOCKER" ps
expect_eq "first line of nvidia-docker ps" "CONTAINER ID" "$(printf '%s\n' "$OUT" | head -n 1 | cut -c 1-12)"

run_ok "$NVIDIA_DOCKER" images --format '{{.Repository}}:{{.Tag}}'
expect_line "nvidia-docker images" "$IMAGE" "$OUT"

run_ok "$NVIDIA_DOCKER" version
first=$(printf '%s\n' "$OUT" | sed -n 1p)
second=$(printf '%s\n' "$OUT" | sed -n 2p)
expect_eq "start of nvidia-docker version" "NVIDIA Docker: " "${first:0:15}"
expect_eq "second line of nvidia-docker version" "" "$second"
expect_contains "nvidia-docker version" "Client:" "$OUT"
expect_contains "nvidia-docker version" "Server:" "$OUT"

# docker's own exit status and message come back unchanged.
capture "$DOCKER" inspect nvd-e2e-no-such-object
docker_status=$STATUS
docker_err=$ERR
capture "$NVIDIA_DOCKER" inspect nvd-e2e-no-such-object
expect_status "$docker_status"
expect_eq "stderr of nvidia-docker inspect" "$docker_err" "$ERR"
