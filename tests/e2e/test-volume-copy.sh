#!/bin/bash
# A volumes directory on another file system than the driver root: hard
# links fail with EXDEV, so the plugin copies the driver's files, keeping
# their mode and modification time. `docker volume create` and a GPU run
# through nvidia-docker work on such a volume. The volumes directory is a
# tmpfs mounted in the test's mount namespace, served by a second plugin
# that dockerd reaches as nvidia-docker (volume_plugin.sh).
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
. "$E2E_DIR/volume_plugin.sh"
PROG=test-volume-copy

use_tmpfs_volumes 64m nvd-volumes
root_dev=$(stat -c %d "$SIMROOT/usr/lib")
[ "$(stat -c %d "$mnt")" != "$root_dev" ] || fail "$mnt is on the file system of $SIMROOT"

swap_in_plugin "$E2E_TMP/plugin.log" --driver-root "$SIMROOT" --dev-root "$SIMROOT" -d "$voldir"

# dockerd calls the plugin's Get before Create, and Get builds the volume of
# the current driver, so the volume may be built by either.
"$DOCKER" volume rm "$volume" >/dev/null 2>&1 || true
[ ! -e "$volume_dir" ] || fail "$volume_dir exists before docker volume create"
run_ok "$DOCKER" volume create -d nvidia-docker "$volume"
expect_eq "output of docker volume create" "$volume" "$OUT"
[ -d "$volume_dir" ] || fail "docker volume create built no $volume_dir"
run_ok "$DOCKER" volume inspect --format '{{.Driver}} {{.Mountpoint}}' "$volume"
expect_eq "driver and Mountpoint of $volume" "nvidia-docker $volume_dir" "$OUT"

# --- Every file is a copy with the root's mode and modification time -------

files=$(cd "$volume_dir" && find . -type f | sort)
[ -n "$files" ] || fail "no file in $volume_dir"
expect_contains "files of $volume_dir" ./bin/nvidia-smi "$files"
expect_contains "files of $volume_dir" "./lib64/libcuda.so.$DRIVER_VERSION" "$files"
expect_contains "files of $volume_dir" "./lib/libcuda.so.$DRIVER_VERSION" "$files"
while read -r file; do
    case "$file" in
        ./bin/*) source_dir=usr/bin ;;
        ./lib64/*) source_dir=usr/lib/x86_64-linux-gnu ;;
        ./lib/*) source_dir=usr/lib/i386-linux-gnu ;;
        *) fail "unexpected file $volume_dir/$file" ;;
    esac
    copy="$volume_dir/$file"
    source="$SIMROOT/$source_dir/$(basename "$file")"
    [ -f "$source" ] || fail "$copy has no source $source"
    [ "$(stat -c %d "$copy")" != "$root_dev" ] ||
        fail "$copy is on the driver root's file system"
    expect_eq "links of $copy" 1 "$(stat -c %h "$copy")"
    expect_eq "mode of $copy" "$(stat -c %a "$source")" "$(stat -c %a "$copy")"
    expect_eq "modification time of $copy" "$(stat -c %y "$source")" "$(stat -c %y "$copy")"
    cmp -s "$source" "$copy" || fail "$copy differs from $source"
done <<<"$files"
[ -z "$(find "$voldir" -maxdepth 1 -name '.build-*')" ] ||
    fail "a build directory remains in $voldir: $(ls -a "$voldir")"

# --- A GPU container runs on the copies --------------------------------------

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_contains "nvidia-smi -L on the copied volume" "$GPU0_UUID" "$OUT"
expect_contains "log of the second plugin" "Received mount request for volume '$volume'" \
    "$(cat "$E2E_TMP/plugin.log")"
