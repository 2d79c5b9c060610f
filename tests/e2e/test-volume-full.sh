#!/bin/bash
# A volumes directory on a full file system: Create, on the plugin socket and
# through `docker volume create`, fails with an Err that names ENOSPC, the
# volumes directory and what to do. No version directory and no .build-*
# directory is left, and List does not list the volume. Once the file
# system has room, Create succeeds. The volumes directory is a small tmpfs,
# served by a second plugin that dockerd reaches as nvidia-docker
# (volume_plugin.sh).
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
. "$E2E_DIR/volume_plugin.sh"
PROG=test-volume-full

# expect_nothing_left WHEN: no version directory and no build directory.
expect_nothing_left() {
    [ ! -e "$volume_dir" ] || fail "$volume_dir exists $1"
    [ -z "$(find "$voldir" -maxdepth 1 -name '.build-*')" ] ||
        fail "a build directory remains in $voldir $1: $(ls -a "$voldir")"
}

# expect_no_space_err WHAT TEXT: TEXT is a full file system's error.
expect_no_space_err() {
    expect_contains "$1" "build volume $volume" "$2"
    expect_contains "$1" "No space left on device" "$2"
    expect_contains "$1" "Free space on the file system of $voldir" "$2"
}

# The driver files of k80x2 take about 1.5 MiB: 256 KiB is too small.
use_tmpfs_volumes 256k nvd-small
swap_in_plugin "$E2E_TMP/plugin.log" --driver-root "$SIMROOT" --dev-root "$SIMROOT" -d "$voldir"
# Docker may know the name from earlier tests; forget it so Create runs.
"$DOCKER" volume rm "$volume" >/dev/null 2>&1 || true

# --- Full: Create fails and leaves nothing -----------------------------------

volume_call Create "{\"Name\":\"$volume\"}"
expect_no_space_err "Create reply on a full file system" "$OUT"
expect_nothing_left "after a Create on a full file system"

volume_call List '{}'
expect_not_contains "List reply after a failed Create" "\"$volume\"" "$OUT"

capture "$DOCKER" volume create -d nvidia-docker "$volume"
expect_failure
expect_no_space_err "stderr of docker volume create on a full file system" "$ERR"
expect_nothing_left "after docker volume create on a full file system"

run_ok "$DOCKER" volume ls --format '{{.Driver}} {{.Name}}'
expect_no_line "docker volume ls after a failed create" "nvidia-docker $volume" "$OUT"

# --- Room again: Create succeeds ---------------------------------------------

mount -o remount,size=64m "$mnt" || fail "cannot enlarge the tmpfs on $mnt"
volume_call Create "{\"Name\":\"$volume\"}"
expect_contains "Create reply with room" '"Err":null' "$OUT"
[ -x "$volume_dir/bin/nvidia-smi" ] || fail "$volume_dir/bin/nvidia-smi missing after Create"
[ -z "$(find "$voldir" -maxdepth 1 -name '.build-*')" ] ||
    fail "a build directory remains in $voldir after Create: $(ls -a "$voldir")"

run_ok "$DOCKER" volume create -d nvidia-docker "$volume"
expect_eq "output of docker volume create" "$volume" "$OUT"
run_ok "$DOCKER" volume ls --format '{{.Driver}} {{.Name}}'
expect_line "docker volume ls after create" "nvidia-docker $volume" "$OUT"
