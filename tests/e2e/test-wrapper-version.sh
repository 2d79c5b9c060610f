#!/bin/bash
# The version sub-command prints "NVIDIA Docker: <version>" and an empty
# line before docker's output, with --format too, as nvidia-docker 1.0 did.
# docker --version is docker's alone: it has no version sub-command.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

run_ok "$DOCKER" version --format '{{.Client.Version}}'
client=$OUT
run_ok "$NVIDIA_DOCKER" version --format '{{.Client.Version}}'
expect_eq "line 2 and after of nvidia-docker version --format" "
$client" "$(printf '%s\n' "$OUT" | sed 1d)"
first=$(printf '%s\n' "$OUT" | head -n 1)
[[ "$first" =~ ^NVIDIA\ Docker:\ [0-9]+\.[0-9]+ ]] ||
    fail "first line of nvidia-docker version --format: '$first'"

# Global options before version.
run_ok "$NVIDIA_DOCKER" -D version --format '{{.Client.Version}}'
expect_eq "first line of nvidia-docker -D version" "$first" "$(printf '%s\n' "$OUT" | head -n 1)"

for option in --version -v; do
    run_ok "$DOCKER" "$option"
    docker_out=$OUT
    run_ok "$NVIDIA_DOCKER" "$option"
    expect_eq "nvidia-docker $option" "$docker_out" "$OUT"
done

# An option unknown to nvidia-docker's tables hides the sub-command: no
# line is added, and docker reports the option.
capture "$DOCKER" --no-such-option version
docker_status=$STATUS
docker_err=$ERR
capture "$NVIDIA_DOCKER" --no-such-option version
expect_status "$docker_status"
expect_eq "stdout of nvidia-docker --no-such-option version" "" "$OUT"
expect_eq "stderr of nvidia-docker --no-such-option version" "$docker_err" "$ERR"

# The same for run: docker reports the option, no GPU options are added,
# and a warning line says so first.
capture "$DOCKER" run --no-such-option "$IMAGE" true
docker_status=$STATUS
docker_err=$ERR
capture "$NVIDIA_DOCKER" run --no-such-option "$IMAGE" true
expect_status "$docker_status"
expect_eq "stderr of nvidia-docker run --no-such-option after the warning" "$docker_err" \
    "$(printf '%s\n' "$ERR" | sed 1d)"
expect_contains "first line of stderr of nvidia-docker run --no-such-option" \
    "Warning: unknown docker option --no-such-option: passing the command line to docker unchanged, without GPUs" \
    "$(printf '%s\n' "$ERR" | head -n 1)"
