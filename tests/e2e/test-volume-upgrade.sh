#!/bin/bash
# A driver upgrade under a created container: after nvd-sim replaces driver
# 375.66 by 390.48 in the harness's root, `docker start` of a container
# created under 375.66 mounts nvidia_driver_375.66, which the plugin serves
# with 390.48's files, so nvidia-smi runs. New containers get
# nvidia_driver_390.48, and the 375.66 directory goes once unmounted. The
# root is set back to 375.66 at the end for the tests after this one.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-volume-upgrade

NEW_VERSION=390.48
old_container=nvd-volume-upgrade-old
new_container=nvd-volume-upgrade-new

restore_root() {
    local status=$?
    "$DOCKER" rm -f "$old_container" "$new_container" >/dev/null 2>&1 || true
    "$NVD_SIM" init "$SIMROOT" --profile k80x2 >/dev/null ||
        echo "FAIL: cannot restore driver $DRIVER_VERSION in $SIMROOT" >&2
    exit "$status"
}
trap restore_root EXIT

dir_gone() {
    [ ! -e "$1" ]
}

run_ok "$NVIDIA_DOCKER" create --name "$old_container" "$IMAGE" nvidia-smi
run_ok "$DOCKER" inspect --format '{{range .Mounts}}{{.Name}} {{end}}' "$old_container"
expect_contains "volumes of the container created under $DRIVER_VERSION" \
    "nvidia_driver_$DRIVER_VERSION" "$OUT"

run_ok "$NVD_SIM" init "$SIMROOT" --profile k80x2 --driver-version "$NEW_VERSION"

run_ok "$DOCKER" start -a "$old_container"
expect_contains "nvidia-smi of the container created under $DRIVER_VERSION" \
    "Driver Version: $NEW_VERSION" "$OUT"
expect_contains "plugin log" \
    "Serving volume nvidia_driver_$DRIVER_VERSION with driver $NEW_VERSION's files" \
    "$(cat "$TMP_ROOT/plugin.log")"
wait_until 10 dir_gone "$VOLDIR/nvidia_driver/$DRIVER_VERSION" ||
    fail "$VOLDIR/nvidia_driver/$DRIVER_VERSION remains after its last unmount"

run_ok "$NVIDIA_DOCKER" create --name "$new_container" "$IMAGE" nvidia-smi
run_ok "$DOCKER" inspect --format '{{range .Mounts}}{{.Name}} {{end}}' "$new_container"
expect_contains "volumes of a container created under $NEW_VERSION" \
    "nvidia_driver_$NEW_VERSION" "$OUT"
run_ok "$DOCKER" start -a "$new_container"
expect_contains "nvidia-smi of the container created under $NEW_VERSION" \
    "Driver Version: $NEW_VERSION" "$OUT"

# Docker still lists the old name, served from the new directory.
run_ok "$DOCKER" volume inspect --format '{{.Mountpoint}}' "nvidia_driver_$DRIVER_VERSION"
expect_eq "Mountpoint of nvidia_driver_$DRIVER_VERSION" "$VOLDIR/nvidia_driver/$NEW_VERSION" "$OUT"

# --- Back to the harness's driver --------------------------------------------

run_ok "$DOCKER" rm -f "$old_container" "$new_container"
run_ok "$NVD_SIM" init "$SIMROOT" --profile k80x2
run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi
expect_contains "nvidia-smi after going back to $DRIVER_VERSION" "Driver Version: $DRIVER_VERSION" "$OUT"
wait_until 10 dir_gone "$VOLDIR/nvidia_driver/$NEW_VERSION" ||
    fail "$VOLDIR/nvidia_driver/$NEW_VERSION remains after going back to $DRIVER_VERSION"
