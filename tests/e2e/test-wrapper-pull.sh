#!/bin/bash
# An image that the engine lacks is pulled first, from Debian's
# docker-registry on loopback: the pull's progress goes to stderr, and
# stdout is exactly what docker prints (the container's output for run,
# the container id for create).
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-wrapper-pull

REGISTRY=/usr/bin/docker-registry
[ -x "$REGISTRY" ] || fail "$REGISTRY not found; install the dependencies: scripts/install-deps"
port=5123
remote="127.0.0.1:$port/cuda:8.0"
name=nvd-e2e-wrapper-pull

REGISTRY_PID=
clean_up() {
    local status=$?
    "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
    "$DOCKER" rmi "$remote" >/dev/null 2>&1 || true
    stop_process "$REGISTRY_PID" docker-registry 10
    if [ "$status" -ne 0 ] && [ -s "$E2E_TMP/registry.log" ]; then
        echo "--- last lines of the registry's log ---" >&2
        tail -n 20 "$E2E_TMP/registry.log" >&2
    fi
}
trap clean_up EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$E2E_TMP/registry.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $E2E_TMP/registry
http:
  addr: 127.0.0.1:$port
CONFIG
setsid "$REGISTRY" serve "$E2E_TMP/registry.yml" </dev/null >"$E2E_TMP/registry.log" 2>&1 &
REGISTRY_PID=$!
registry_is_ready() {
    is_running "$REGISTRY_PID" || return 2
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/v2/"
}
wait_until 20 registry_is_ready ||
    fail "docker-registry did not answer on 127.0.0.1:$port within 20 s"

# A registry on 127.0.0.1 needs no TLS: dockerd allows it by default.
run_ok "$DOCKER" tag "$IMAGE" "$remote"
run_ok "$DOCKER" push "$remote"
run_ok "$DOCKER" rmi "$remote"

capture "$NVIDIA_DOCKER" run --rm "$remote" nvidia-smi -L
expect_status 0
expect_eq "stdout of run --rm $remote nvidia-smi -L" \
"GPU 0: $GPU_NAME (UUID: $GPU0_UUID)
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"
expect_contains "stderr of the run that pulled" "Pulling from cuda" "$ERR"
expect_contains "stderr of the run that pulled" "Downloaded newer image for $remote" "$ERR"

# create prints the container id alone, also after a pull.
run_ok "$DOCKER" rmi "$remote"
capture "$NVIDIA_DOCKER" create --name "$name" "$remote" nvidia-smi -L
expect_status 0
grep -qxE '[0-9a-f]{64}' <<<"$OUT" || fail "stdout of create after a pull is not one container id: $OUT"
expect_contains "stderr of the create that pulled" "Downloaded newer image for $remote" "$ERR"
capture "$DOCKER" start -a "$name"
expect_status 0
expect_line "output of the created container" "GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"
