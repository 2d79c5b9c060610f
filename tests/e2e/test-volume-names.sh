#!/bin/bash
# Volume names on the plugin's Docker volume plugin socket. Malformed names,
# unknown volumes and versions other than the driver's get nvidia-docker
# 1.0's errors in "Err". A name that would leave the volume directory is
# rejected, and the plugin keeps serving afterwards.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

# volume_call ENDPOINT NAME: POST {"Name":NAME} to /VolumeDriver.ENDPOINT.
volume_call() {
    capture curl -s --max-time 10 --unix-socket "$PLUGIN_SOCK" \
        -H 'Accept: application/vnd.docker.plugins.v1.2+json' \
        -X POST -d "{\"Name\":\"$2\"}" "http://plugin/VolumeDriver.$1"
    expect_status 0
}

# expect_err MESSAGE: the last reply's "Err" is MESSAGE.
expect_err() {
    expect_contains "reply" '"Err"' "$OUT"
    expect_contains "reply" "$1" "$OUT"
}

volume_call Create foo
expect_err "bad volume format: foo"

volume_call Create nvidia_docker_1.0
expect_err "unsupported volume: nvidia_docker_1.0"

volume_call Create nvidia_driver_1.0
expect_err "invalid volume version: nvidia_driver_1.0"

# nvidia-docker 1.0 took ".." as a version, so removing this volume deleted
# the whole volume directory.
mkdir -p "$VOLDIR"
volume_call Remove nvidia_driver_..
if printf '%s' "$OUT" | grep -Eq '"Err": *null'; then
    fail "Remove of nvidia_driver_.. succeeded; expected an error, got: $OUT"
fi
[ -d "$VOLDIR" ] || fail "Remove of nvidia_driver_.. deleted $VOLDIR"

# The plugin still serves, on both sockets.
kill -0 "$PLUGIN_PID" 2>/dev/null ||
    fail "nvidia-docker-plugin (pid $PLUGIN_PID) exited during the requests"

capture curl -s --max-time 10 --unix-socket "$PLUGIN_SOCK" \
    -H 'Accept: application/vnd.docker.plugins.v1.2+json' \
    -X POST http://plugin/Plugin.Activate
expect_status 0
expect_contains "Plugin.Activate reply" VolumeDriver "$OUT"

volume_call Create "nvidia_driver_$DRIVER_VERSION"
if ! printf '%s' "$OUT" | grep -Eq '"Err": *null'; then
    fail "Create of nvidia_driver_$DRIVER_VERSION failed: $OUT"
fi

run_ok curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$PLUGIN_URL/docker/cli"
expect_eq "HTTP status of /docker/cli" 200 "$OUT"
