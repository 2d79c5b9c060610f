#!/bin/bash
# A plugin killed with SIGKILL in the middle of a volume build, then
# started again. At start it removes and logs the unfinished .build-*
# directory. The half-built volume is never listed. The next Create builds
# the whole volume, equal to a build that was never interrupted.
#
# The build is slowed down honestly: the driver root's libcuda is enlarged to
# 512 MiB (a sparse file, still a valid ELF file because the ELF reader uses
# offsets from the header) and the volumes directory is a tmpfs, so each
# file is copied. The test stops the plugin with SIGSTOP as soon as the
# build directory appears, checks that the build is unfinished, then sends
# SIGKILL. A build that completed first is retried on a fresh directory.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
. "$E2E_DIR/volume_plugin.sh"   # helpers only: this test swaps no plugin
PROG=test-volume-kill

volume="nvidia_driver_$DRIVER_VERSION"
root="$E2E_TMP/root"
mnt="$E2E_TMP/tmpfs"
voldir="$mnt/volumes"
volume_dir="$voldir/nvidia_driver/$DRIVER_VERSION"
sockdir="$E2E_TMP/sock"
address="127.0.0.1:$SECOND_PLUGIN_PORT"
starts=0
log=
big_lib="$root/usr/lib/x86_64-linux-gnu/libcuda.so.$DRIVER_VERSION"

PLUGIN_PID=
CREATE_PID=
clean_up() {
    local status=$?
    stop_process "$CREATE_PID" "curl of Create" 5
    stop_process "$PLUGIN_PID" "second nvidia-docker-plugin" 10
    unmount_tmpfs "$mnt"
    [ "$status" -eq 0 ] || show_plugin_logs
    exit "$status"
}
trap clean_up EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

VOLUME_CALL_SOCK="$sockdir/nvidia-docker.sock"

# start_second_plugin VOLUMES_DIR: start the second plugin with its output
# in a new log file, $log.
start_second_plugin() {
    starts=$(( starts + 1 ))
    log="$E2E_TMP/plugin-$starts.log"
    start_plugin "$log" "$sockdir" "$address" --driver-root "$root" --dev-root "$root" -d "$1"
}

# Prints the build directories in the volumes directory.
build_dirs() {
    find "$voldir" -maxdepth 1 -name '.build-*' 2>/dev/null
}

# Prints each entry of directory $1 with its type, and the size of a file or
# the target of a symbolic link. Directory sizes differ between file systems.
tree_listing() {
    (cd "$1" && find . \( -type f -printf '%p f %s\n' \) -o -printf '%p %y %l\n' | sort)
}

run_ok "$NVD_SIM" init "$root" --profile k80x2
truncate -s 512M "$big_lib"
mkdir -p "$mnt"
mount -t tmpfs -o size=2g,mode=0755 nvd-volumes "$mnt" || fail "cannot mount a tmpfs on $mnt"

# --- SIGKILL during a build ----------------------------------------------------

caught=
for attempt in 1 2 3; do
    rm -rf "$voldir"
    start_second_plugin "$voldir"
    curl -s --max-time 60 --unix-socket "$sockdir/nvidia-docker.sock" \
        -H 'Accept: application/vnd.docker.plugins.v1.2+json' \
        -X POST -d "{\"Name\":\"$volume\"}" http://plugin/VolumeDriver.Create \
        >"$E2E_TMP/create-reply" 2>&1 &
    CREATE_PID=$!

    # Poll without sleeping, because copying the large file takes about a second.
    while [ -z "$(build_dirs)" ] && is_running "$CREATE_PID"; do
        :
    done
    kill -STOP "$PLUGIN_PID"
    if [ -e "$volume_dir" ]; then
        echo "# attempt $attempt: the build completed before SIGSTOP; trying again"
        kill -CONT "$PLUGIN_PID"
        stop_process "$CREATE_PID" "curl of Create" 5
        stop_process "$PLUGIN_PID" "second nvidia-docker-plugin" 10
        CREATE_PID=
        PLUGIN_PID=
        continue
    fi
    caught=yes
    break
done
[ -n "$caught" ] || fail "every build completed before the plugin could be stopped"

leftover=$(build_dirs)
[ -n "$leftover" ] || fail "no build directory in $voldir when the plugin was stopped"
echo "# stopped during the build of $leftover"
kill -KILL "$PLUGIN_PID"
wait_until 10 has_exited "$PLUGIN_PID" || fail "the plugin still runs 10 s after SIGKILL"
wait "$PLUGIN_PID" 2>/dev/null || true
PLUGIN_PID=
wait "$CREATE_PID" 2>/dev/null || true
CREATE_PID=
expect_not_contains "reply of the interrupted Create" '"Err":null' "$(cat "$E2E_TMP/create-reply")"
[ -d "$leftover" ] || fail "the build directory $leftover vanished with the plugin"
[ ! -e "$volume_dir" ] || fail "$volume_dir exists after the build was killed"

# --- Restart: the leftover goes, the volume is built whole ---------------------

start_second_plugin "$voldir"
expect_contains "log of the restarted plugin" "Removed the unfinished volume build $leftover" \
    "$(cat "$log")"
[ -z "$(build_dirs)" ] || fail "build directories remain after the restart: $(build_dirs)"

volume_call List '{}'
expect_not_contains "List reply after the restart" "\"$volume\"" "$OUT"
[ ! -e "$volume_dir" ] || fail "$volume_dir exists before the next Create"

volume_call Create "{\"Name\":\"$volume\"}"
expect_contains "Create reply after the restart" '"Err":null' "$OUT"
[ -z "$(build_dirs)" ] || fail "build directories remain after Create: $(build_dirs)"
expect_eq "size of the large library in the volume" "$(stat -c %s "$big_lib")" \
    "$(stat -c %s "$volume_dir/lib64/$(basename "$big_lib")")"
volume_call List '{}'
expect_contains "List reply after Create" "\"$volume\"" "$OUT"

# A reference build of the same root that nothing interrupted, hard-linked
# on the root's file system.
stop_process "$PLUGIN_PID" "second nvidia-docker-plugin" 10
PLUGIN_PID=
start_second_plugin "$E2E_TMP/reference"
volume_call Create "{\"Name\":\"$volume\"}"
expect_contains "Create reply of the reference build" '"Err":null' "$OUT"
expect_eq "entries of the volume built after SIGKILL" \
    "$(tree_listing "$E2E_TMP/reference/nvidia_driver/$DRIVER_VERSION")" \
    "$(tree_listing "$volume_dir")"
