#!/bin/bash
# An image that the engine lacks is pulled first, from Debian's
# docker-registry on loopback: the pull's progress goes to stderr, and
# stdout is exactly what docker prints (the container's output for run,
# the container id for create). --pull, --platform and -q set how it is
# pulled, as they do for docker.
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

# A docker command that logs each command line it runs, so a test can tell
# which pulls nvidia-docker ran.
recorder="$E2E_TMP/docker-recorder-pull"
calls="$E2E_TMP/docker-calls-pull"
cat >"$recorder" <<SCRIPT
#!/bin/sh
echo "\$*" >>"$calls"
exec "$DOCKER" "\$@"
SCRIPT
chmod +x "$recorder"

# --pull never on a missing image: no pull, and docker's own message and
# status.
run_ok "$DOCKER" rm -f "$name"
run_ok "$DOCKER" rmi "$remote"
capture "$DOCKER" run --rm --pull never "$remote" true
docker_status=$STATUS docker_err=$ERR
: >"$calls"
capture env NV_DOCKER="$recorder" "$NVIDIA_DOCKER" run --rm --pull never "$remote" true
expect_status "$docker_status"
expect_eq "stderr of run --pull never on a missing image" "$docker_err" "$ERR"
expect_not_contains "docker commands of run --pull never" "pull $remote" "$(cat "$calls")"

# A --pull value docker does not know: docker's own message, and no pull.
capture "$DOCKER" run --rm --pull sometimes "$remote" true
docker_status=$STATUS docker_err=$ERR
: >"$calls"
capture env NV_DOCKER="$recorder" "$NVIDIA_DOCKER" run --rm --pull sometimes "$remote" true
expect_status "$docker_status"
expect_eq "stderr of run --pull sometimes" "$docker_err" "$ERR"
expect_eq "docker commands of run --pull sometimes" "run --rm --pull sometimes $remote true" \
    "$(cat "$calls")"

# -q and --platform go to the pull, so stderr shows no progress. docker run
# takes -q from docker 23 on. This docker (20.10) then rejects the command
# line itself, and a newer one prints the container's output.
: >"$calls"
capture env NV_DOCKER="$recorder" "$NVIDIA_DOCKER" run --rm -q --platform linux/amd64 \
    "$remote" nvidia-smi -L
expect_not_contains "stderr of run -q that pulled" "Pulling from" "$ERR"
expect_not_contains "stderr of run -q that pulled" "$remote" "$ERR"
expect_line "docker commands of run -q --platform" "pull --platform linux/amd64 -q $remote" \
    "$(cat "$calls")"
if [ "$STATUS" -eq 0 ]; then
    expect_line "stdout of run -q that pulled" "GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"
else
    expect_contains "docker's answer to run -q" "'q'" "$ERR"
fi

# --pull always pulls an image the engine has.
: >"$calls"
capture env NV_DOCKER="$recorder" "$NVIDIA_DOCKER" run --rm --pull always "$remote" true
expect_status 0
expect_line "docker commands of run --pull always" "pull $remote" "$(cat "$calls")"
