#!/bin/bash
# nvidia-docker run -d prints exactly what docker prints, the container id
# and a newline, and the container has the GPUs. --rm removes the
# container. The exit status is the container's, or docker's own 125, 126
# and 127.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

name=nvd-e2e-wrapper-detach
remove_container() {
    "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
}
trap remove_container EXIT

# -d: stdout is 64 lowercase hex digits and a newline, nothing else.
"$NVIDIA_DOCKER" run -d --name "$name" "$IMAGE" sleep 60 \
    >"$E2E_TMP/id" 2>"$E2E_TMP/id.err" ||
    fail "nvidia-docker run -d exited with status $?: $(cat "$E2E_TMP/id.err")"
if [ "$(wc -c <"$E2E_TMP/id")" -ne 65 ] || ! grep -qxE '[0-9a-f]{64}' "$E2E_TMP/id"; then
    fail "stdout of nvidia-docker run -d is not one container id: $(od -c "$E2E_TMP/id" | head -n 5)"
fi
id=$(cat "$E2E_TMP/id")
expect_eq "stderr of nvidia-docker run -d" "" "$(cat "$E2E_TMP/id.err")"

run_ok "$DOCKER" inspect --format '{{.Id}}' "$name"
expect_eq "id of $name" "$id" "$OUT"
run_ok "$DOCKER" exec "$id" nvidia-smi -L
expect_eq "nvidia-smi -L in the detached container" \
"GPU 0: $GPU_NAME (UUID: $GPU0_UUID)
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"
run_ok "$DOCKER" exec "$id" ls /dev
expect_line "/dev of the detached container" nvidia0 "$OUT"
expect_line "/dev of the detached container" nvidia1 "$OUT"
expect_line "/dev of the detached container" nvidiactl "$OUT"
remove_container

# --rm: the container is gone once it exited, and -d --rm likewise.
before=$(count_containers)
run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_eq "stdout of run --rm IMAGE true" "" "$OUT"
expect_eq "number of containers after run --rm" "$before" "$(count_containers)"

run_ok "$NVIDIA_DOCKER" run -d --rm "$IMAGE" true
grep -qxE '[0-9a-f]{64}' <<<"$OUT" || fail "stdout of run -d --rm is not one container id: $OUT"
# No "docker wait": --rm may remove the container before the wait starts.
gone() { [ "$(count_containers)" -eq "$before" ]; }
for _ in $(seq 100); do gone && break; sleep 0.2; done
gone || fail "the container of run -d --rm (true) still exists after 20 s"

# Exit statuses: the command's, and docker's own for its failures, the
# same as docker alone gives with the same image.
capture "$NVIDIA_DOCKER" run --rm "$IMAGE" sh -c 'exit 3'
expect_status 3
capture "$NVIDIA_DOCKER" create --name "$name" "$IMAGE" sh -c 'exit 5'
expect_status 0
capture "$DOCKER" start -a "$name"
expect_status 5
remove_container

# check_docker_status STATUS ARGUMENT...: nvidia-docker run --rm ARGUMENTs
# exits with STATUS, as docker run --rm ARGUMENTs does.
check_docker_status() {
    local expected=$1
    shift
    capture "$DOCKER" run --rm "$@"
    expect_status "$expected"
    capture "$NVIDIA_DOCKER" run --rm "$@"
    expect_status "$expected"
    [ -n "$ERR" ] || fail "nvidia-docker run --rm $* exited with $STATUS and no message"
    expect_not_contains "stderr of nvidia-docker run --rm $*" "nvidia-docker |" "$ERR"
}
check_docker_status 125 --memory=no-such-size "$IMAGE" true
check_docker_status 126 "$IMAGE" /etc/passwd
check_docker_status 127 "$IMAGE" no-such-command
