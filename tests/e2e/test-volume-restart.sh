#!/bin/bash
# A restart of the plugin under a running GPU container keeps the volume and
# its mount: after the restart, `docker volume ls` lists the volume, the
# container still runs nvidia-smi, and removing the mounted volume fails
# with a clear message. Stopping the container unmounts it (mounts.json no
# longer records the mount), and then `docker volume rm` works. The plugin
# is a second one that dockerd reaches as nvidia-docker (volume_plugin.sh).
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
. "$E2E_DIR/volume_plugin.sh"
PROG=test-volume-restart

volume="nvidia_driver_$DRIVER_VERSION"
container=nvd-volume-restart
voldir="$E2E_TMP/volumes"
volume_dir="$voldir/nvidia_driver/$DRIVER_VERSION"

clean_up() {
    local status=$?
    "$DOCKER" rm -f "$container" >/dev/null 2>&1 || true
    "$DOCKER" volume rm "$volume" >/dev/null 2>&1 || true
    swap_back_plugin
    [ "$status" -eq 0 ] || show_plugin_logs
    exit "$status"
}
trap clean_up EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mounts_json() {
    cat "$voldir/mounts.json"
}

no_mount_recorded() {
    ! grep -q '"ID"' "$voldir/mounts.json"
}

swap_in_plugin "$E2E_TMP/plugin-1.log" --driver-root "$SIMROOT" --dev-root "$SIMROOT" -d "$voldir"
# Docker may know the name from earlier tests; forget it.
"$DOCKER" volume rm "$volume" >/dev/null 2>&1 || true
run_ok "$DOCKER" volume create -d nvidia-docker "$volume"
run_ok "$NVIDIA_DOCKER" run -d --name "$container" "$IMAGE" sleep 60
expect_contains "mounts.json with a running container" '"ID"' "$(mounts_json)"
mounts_before=$(mounts_json)

# --- Restart ------------------------------------------------------------------

stop_swapped_plugin
SWAP_LOG="$E2E_TMP/plugin-2.log"
start_swapped_plugin
expect_eq "mounts.json after the restart" "$mounts_before" "$(mounts_json)"

run_ok "$DOCKER" volume ls --format '{{.Driver}} {{.Name}}'
expect_line "docker volume ls after the restart" "nvidia-docker $volume" "$OUT"
run_ok "$DOCKER" volume inspect --format '{{.Mountpoint}}' "$volume"
expect_eq "Mountpoint of $volume after the restart" "$volume_dir" "$OUT"
run_ok "$DOCKER" exec "$container" nvidia-smi -L
expect_contains "nvidia-smi -L in the container after the restart" "$GPU0_UUID" "$OUT"

capture "$DOCKER" volume rm "$volume"
expect_failure
expect_contains "stderr of docker volume rm while mounted" "volume is in use" "$ERR"
volume_call Remove "{\"Name\":\"$volume\"}"
expect_contains "Remove reply while mounted" "volume $volume is in use by 1 containers" "$OUT"
[ -x "$volume_dir/bin/nvidia-smi" ] || fail "Remove of a mounted volume deleted $volume_dir"

# --- Stopping the container unmounts, then the volume can be removed -------

run_ok "$DOCKER" stop -t 1 "$container"
wait_until 10 no_mount_recorded ||
    fail "mounts.json still records a mount 10 s after docker stop: $(mounts_json)"
expect_contains "log of the restarted plugin" "Received unmount request for volume '$volume'" \
    "$(cat "$SWAP_LOG")"
run_ok "$DOCKER" rm "$container"
run_ok "$DOCKER" volume rm "$volume"
[ ! -e "$volume_dir" ] || fail "$volume_dir remains after docker volume rm"
run_ok "$DOCKER" volume ls --format '{{.Driver}} {{.Name}}'
expect_no_line "docker volume ls after rm" "nvidia-docker $volume" "$OUT"
