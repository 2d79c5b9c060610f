#!/bin/bash
# Docker's volume commands on the plugin's volumes: create, ls, inspect and
# rm. A running container's mount is recorded by its ID in the volumes
# directory's mounts.json, and Remove of a mounted volume fails, both through
# docker and on the plugin socket.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-volume-docker

volume="nvidia_driver_$DRIVER_VERSION"
container=nvd-volume-busy
volume_dir="$VOLDIR/nvidia_driver/$DRIVER_VERSION"

remove_container() {
    "$DOCKER" rm -f "$container" >/dev/null 2>&1 || true
}
trap remove_container EXIT

# plugin_remove NAME: POST Remove of NAME to the plugin socket; sets OUT.
plugin_remove() {
    run_ok curl -s --max-time 10 --unix-socket "$PLUGIN_SOCK" \
        -H 'Accept: application/vnd.docker.plugins.v1.2+json' \
        -X POST -d "{\"Name\":\"$1\"}" http://plugin/VolumeDriver.Remove
}

run_ok "$DOCKER" volume create -d nvidia-docker "$volume"
expect_eq "output of docker volume create" "$volume" "$OUT"

run_ok "$DOCKER" volume ls --format '{{.Driver}} {{.Name}}'
expect_line "docker volume ls" "nvidia-docker $volume" "$OUT"

run_ok "$DOCKER" volume inspect --format '{{.Mountpoint}}' "$volume"
expect_eq "Mountpoint of $volume" "$volume_dir" "$OUT"
[ -x "$volume_dir/bin/nvidia-smi" ] || fail "$volume_dir/bin/nvidia-smi missing after docker volume create"

# --- In use: docker and the plugin both reject the removal -------------------

run_ok "$DOCKER" run -d --name "$container" -v "$volume:/usr/local/nvidia:ro" "$PLAIN_IMAGE" sleep 30
expect_contains "mount records in $VOLDIR/mounts.json" "\"$volume\"" "$(cat "$VOLDIR/mounts.json")"
expect_contains "mount records in $VOLDIR/mounts.json" '"ID"' "$(cat "$VOLDIR/mounts.json")"

capture "$DOCKER" volume rm "$volume"
expect_failure
expect_contains "stderr of docker volume rm while mounted" "in use" "$ERR"

plugin_remove "$volume"
expect_contains "Remove reply while mounted" "volume $volume is in use by 1 containers" "$OUT"
[ -d "$volume_dir" ] || fail "Remove of a mounted volume deleted $volume_dir"

# --- Unused: removed ---------------------------------------------------------

no_mount_recorded() {
    ! grep -q '"ID"' "$VOLDIR/mounts.json"
}
run_ok "$DOCKER" rm -f "$container"
wait_until 10 no_mount_recorded ||
    fail "$VOLDIR/mounts.json still records a mount 10 s after docker rm -f: $(cat "$VOLDIR/mounts.json")"
run_ok "$DOCKER" volume rm "$volume"
[ ! -e "$volume_dir" ] || fail "$volume_dir remains after docker volume rm"
run_ok "$DOCKER" volume ls --format '{{.Driver}} {{.Name}}'
expect_no_line "docker volume ls after rm" "nvidia-docker $volume" "$OUT"

# nvidia-docker creates it again on the next run.
run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_contains "nvidia-smi -L after the volume was removed" "$GPU0_UUID" "$OUT"
