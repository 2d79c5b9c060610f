# shellcheck shell=bash
# A second nvidia-docker-plugin that dockerd reaches under the name
# nvidia-docker, for the volume tests that need a volumes directory (-d) of
# their own or a plugin restart. Source it after assert.sh and common.sh.
#
# dockerd keeps every volume driver it has used until it exits, and retries
# a driver whose socket is gone for 30 s per call. So a test must not
# register a plugin under a new name that stops with the test. Instead,
# swap_in_plugin moves the harness's plugin socket aside (the harness's
# plugin keeps running and keeps its PID), starts the second plugin on
# $PLUGIN_SOCK, and swap_back_plugin stops it and moves the harness's socket
# back. Within a test, dockerd's volume calls reach the second plugin. The
# wrapper's REST calls still reach the harness's plugin on $PLUGIN_URL, so
# the second plugin must serve the same driver root.

HIDDEN_SOCK_DIR=/run/docker/plugins/.nvd-harness   # no <dir>/<dir>.sock: dockerd skips it
MAIN_PLUGIN_PID=$PLUGIN_PID
SWAP_ARGS=()
SWAP_LOG=
PLUGIN_PID=

# Succeeds when the harness's plugin has no connection on its Unix socket,
# so that dockerd has no idle connection to it left to reuse.
main_plugin_unconnected() {
    ! ss -Hxp 2>/dev/null | grep -q "pid=$MAIN_PLUGIN_PID,"
}

# swap_in_plugin LOG ARGUMENT...: start the second plugin with the ARGUMENTs
# (--driver-root, -d, ...) in place of the harness's plugin on $PLUGIN_SOCK,
# with its REST API on $SECOND_PLUGIN_PORT and its output in LOG.
swap_in_plugin() {
    SWAP_LOG=$1
    shift
    SWAP_ARGS=("$@")
    mkdir -p "$HIDDEN_SOCK_DIR"
    mv "$PLUGIN_SOCK" "$HIDDEN_SOCK_DIR/nvidia-docker.sock"
    # The harness's plugin closes an idle connection after 5 s.
    wait_until 15 main_plugin_unconnected ||
        fail "the harness's plugin still has connections on its socket 15 s after it was moved aside"
    start_swapped_plugin
}

start_swapped_plugin() {
    start_plugin "$SWAP_LOG" /run/docker/plugins "127.0.0.1:$SECOND_PLUGIN_PORT" "${SWAP_ARGS[@]}"
}

# Stops the second plugin with SIGTERM; fails unless it exits with status 0.
stop_swapped_plugin() {
    local status=0 pid=$PLUGIN_PID
    PLUGIN_PID=
    kill -TERM "$pid"
    wait_until 10 has_exited "$pid" || fail "the second plugin still runs 10 s after SIGTERM"
    wait "$pid" || status=$?
    [ "$status" -eq 0 ] || fail "the second plugin exited with status $status after SIGTERM"
}

# Stops the second plugin when it runs and gives the harness's plugin its
# socket back. For an EXIT trap: never fails.
swap_back_plugin() {
    stop_process "$PLUGIN_PID" "second nvidia-docker-plugin" 10
    PLUGIN_PID=
    if [ -S "$HIDDEN_SOCK_DIR/nvidia-docker.sock" ]; then
        rm -f "$PLUGIN_SOCK"
        mv "$HIDDEN_SOCK_DIR/nvidia-docker.sock" "$PLUGIN_SOCK" ||
            echo "FAIL: cannot move the harness's socket back to $PLUGIN_SOCK" >&2
    fi
    rmdir "$HIDDEN_SOCK_DIR" 2>/dev/null || true
}

# volume_call ENDPOINT BODY: POST BODY to /VolumeDriver.ENDPOINT on
# $VOLUME_CALL_SOCK; sets OUT to the reply.
VOLUME_CALL_SOCK=$PLUGIN_SOCK
volume_call() {
    run_ok curl -s --max-time 60 --unix-socket "$VOLUME_CALL_SOCK" \
        -H 'Accept: application/vnd.docker.plugins.v1.2+json' \
        -X POST -d "$2" "http://plugin/VolumeDriver.$1"
}

# Prints the logs of the second plugin, $E2E_TMP/plugin*.log, to stderr.
show_plugin_logs() {
    local log
    for log in "$E2E_TMP"/plugin*.log; do
        [ -s "$log" ] || continue
        echo "--- $log ---" >&2
        cat "$log" >&2
    done
}

# unmount_tmpfs DIR: unmount the tmpfs on DIR when there is one. For an EXIT
# trap: never fails.
unmount_tmpfs() {
    if mountpoint -q "$1"; then
        umount "$1" || echo "FAIL: cannot unmount $1" >&2
    fi
}

# use_tmpfs_volumes SIZE NAME: mount a tmpfs named NAME of SIZE on
# $E2E_TMP/tmpfs for the swapped-in plugin's volumes, and set mnt, voldir,
# volume and volume_dir. On exit the driver volume is removed from Docker,
# the harness's plugin swapped back and the tmpfs unmounted.
use_tmpfs_volumes() {
    volume="nvidia_driver_$DRIVER_VERSION"
    mnt="$E2E_TMP/tmpfs"
    voldir="$mnt/volumes"
    volume_dir="$voldir/nvidia_driver/$DRIVER_VERSION"
    trap clean_up_tmpfs_volumes EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$mnt"
    mount -t tmpfs -o "size=$1,mode=0755" "$2" "$mnt" || fail "cannot mount a tmpfs on $mnt"
}

# The EXIT trap of use_tmpfs_volumes.
clean_up_tmpfs_volumes() {
    local status=$?
    "$DOCKER" volume rm "$volume" >/dev/null 2>&1 || true
    swap_back_plugin
    unmount_tmpfs "$mnt"
    [ "$status" -eq 0 ] || show_plugin_logs
    exit "$status"
}
