# shellcheck shell=bash
# Shell functions shared by the end-to-end harness (tests/e2e/run) and the
# demo (scripts/demo): a private dockerd, the busybox+glibc images, the
# plugin, bounded waits and bounded stops.
#
# Source it from bash after setting PROG (the name printed before messages).
# It defines functions and the variables DOCKER and IMAGE_PATH only, and
# runs nothing at source time. The daemons it starts get no file descriptor
# 3 or 4, which the callers use to keep their own output.

# The docker client of Debian's docker.io, which matches its dockerd.
# /usr/local/bin/docker may be a different client that comes first in PATH.
DOCKER=/usr/bin/docker

# The PATH of NVIDIA's CUDA images, with the driver volume's bin first.
IMAGE_PATH=/usr/local/nvidia/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

die() {
    printf '%s: error: %s\n' "${PROG:-nvd}" "$*" >&2
    exit 1
}

say() {
    printf '==> %s\n' "$*"
}

# Succeeds when something listens on TCP port $1 of any local address.
port_in_use() {
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# Succeeds while process $1 exists and is not a zombie.
is_running() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "$state" != Z ]
}

has_exited() {
    ! is_running "$1"
}

# wait_until SECONDS COMMAND...: run COMMAND every 0.2 s until it succeeds.
# Fails when SECONDS pass first, or at once when COMMAND exits with status 2
# (the convention of the *_is_ready checks below for "will never succeed").
wait_until() {
    local limit=$(( $1 * 5 )) i=0 status
    shift
    while :; do
        status=0
        "$@" >/dev/null 2>&1 || status=$?
        [ "$status" -eq 0 ] && return 0
        [ "$status" -eq 2 ] && return 1
        i=$(( i + 1 ))
        [ "$i" -ge "$limit" ] && return 1
        sleep 0.2
    done
}

# stop_process PID NAME SECONDS: send SIGTERM to PID, wait up to SECONDS for
# it to exit, then send SIGKILL. Reaps PID when it is a child of this shell.
stop_process() {
    local pid=$1 name=$2 seconds=$3
    [ -n "$pid" ] || return 0
    if is_running "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        if ! wait_until "$seconds" has_exited "$pid"; then
            echo "${PROG:-nvd}: $name (pid $pid) still runs ${seconds} s after SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || true
            wait_until 5 has_exited "$pid" || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

# Hides the host's plugin directories and containerd socket from the daemons
# started in this mount namespace. dockerd finds volume plugins only in
# /run/docker/plugins (sockets) and /etc/docker/plugins, /usr/lib/docker/plugins
# (spec files). It also uses a system containerd found at /run/containerd
# in place of starting its own, which would share containers with the host's
# engine. Call only inside a private mount namespace.
isolate_docker_dirs() {
    local dir
    mount -t tmpfs -o mode=0755 nvd-plugins /run/docker/plugins ||
        die "cannot mount a tmpfs over /run/docker/plugins"
    for dir in /etc/docker/plugins /usr/lib/docker/plugins /run/containerd; do
        if [ -d "$dir" ]; then
            mount -t tmpfs -o mode=0755 nvd-hidden "$dir" ||
                die "cannot mount a tmpfs over $dir"
        fi
    done
}

# start_dockerd DIR: start a dockerd whose data root, exec root, pid file,
# socket, configuration file and log (DIR/dockerd.log) all lie under DIR.
# Sets DOCKERD_PID and exports DOCKER_HOST. Waits up to 30 s for the engine
# to respond to `docker version`.
start_dockerd() {
    local dir=$1
    printf '{}\n' >"$dir/daemon.json"

    # setsid puts dockerd in a session of its own, so a Ctrl-C on the terminal
    # reaches only the caller, whose trap stops the plugin, then dockerd.
    setsid /usr/sbin/dockerd \
        --config-file "$dir/daemon.json" \
        --data-root "$dir/data" \
        --exec-root "$dir/exec" \
        --pidfile "$dir/dockerd.pid" \
        -H "unix://$dir/docker.sock" \
        --iptables=false --bridge=none --ip-masq=false \
        </dev/null >"$dir/dockerd.log" 2>&1 3>&- 4>&- &
    DOCKERD_PID=$!
    export DOCKER_HOST="unix://$dir/docker.sock"

    if ! wait_until 30 dockerd_is_ready; then
        is_running "$DOCKERD_PID" ||
            die "dockerd exited at start (log: $dir/dockerd.log)"
        die "dockerd did not respond on $dir/docker.sock within 30 s (log: $dir/dockerd.log)"
    fi
}

dockerd_is_ready() {
    is_running "$DOCKERD_PID" || return 2
    "$DOCKER" version || return 1
}

# copy_with_parents FILE ROOT: copy FILE to ROOT/FILE, following symbolic
# links, so that ROOT contains a plain file at the path a program loads.
copy_with_parents() {
    mkdir -p "$2$(dirname "$1")"
    cp -L "$1" "$2$1"
}

# make_rootfs DIR [PROGRAM...]: fill DIR with a minimal root: busybox-static
# with one link per applet, the glibc that NVIDIA's nvidia-smi and its doubles
# load, and every host library that the given dynamically linked PROGRAMs
# need. NVIDIA's libraries are left out, as are those that ldd does not find
# on the host: the driver volume brings them.
make_rootfs() {
    local root=$1 applet lib program
    shift

    mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" \
        "$root/proc" "$root/sys" "$root/dev"
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"

    # The loader at the path that x86-64 executables name, and the glibc
    # libraries that NVIDIA's nvidia-smi links (libm, libdl, libpthread and
    # librt still exist as separate files in glibc 2.34 and later).
    copy_with_parents /lib64/ld-linux-x86-64.so.2 "$root"
    for lib in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1; do
        if [ -e "/lib/x86_64-linux-gnu/$lib" ]; then
            copy_with_parents "/lib/x86_64-linux-gnu/$lib" "$root"
        fi
    done

    for program in "$@"; do
        for lib in $(ldd "$program" 2>/dev/null |
                     sed -n 's/^.* => \(\/[^ ]*\) (0x.*$/\1/p'); do
            case "$(basename "$lib")" in
                libnvidia-* | libcuda.* | libnvcuvid.*) continue ;;
            esac
            [ -e "$root$lib" ] || copy_with_parents "$lib" "$root"
        done
    done
}

# import_cuda_image ROOTFS NAME: import ROOTFS as image NAME with the labels
# of nvidia-docker 1.0's CUDA 8.0 images and their PATH and LD_LIBRARY_PATH.
import_cuda_image() {
    tar -C "$1" -cf - . | "$DOCKER" import \
        --change "ENV PATH=$IMAGE_PATH" \
        --change "ENV LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64" \
        --change "LABEL com.nvidia.volumes.needed=nvidia_driver" \
        --change "LABEL com.nvidia.cuda.version=8.0" \
        --change 'CMD ["sh"]' \
        - "$2" >/dev/null
}

# import_plain_image ROOTFS NAME: import ROOTFS as image NAME with PATH only
# and no label, so the image requests no GPU.
import_plain_image() {
    tar -C "$1" -cf - . | "$DOCKER" import \
        --change "ENV PATH=$IMAGE_PATH" \
        --change 'CMD ["sh"]' \
        - "$2" >/dev/null
}

# start_plugin LOG SOCKDIR ADDRESS ARGUMENT...: start nvidia-docker-plugin
# (path in $PLUGIN) with -s SOCKDIR -l ADDRESS and the other ARGUMENTs, with
# its stderr in LOG. Sets PLUGIN_PID, then waits up to 20 s for the REST API
# on ADDRESS to accept connections and for SOCKDIR/nvidia-docker.sock.
start_plugin() {
    local log=$1 sockdir=$2 address=$3
    shift 3

    setsid "$PLUGIN" -s "$sockdir" -l "$address" "$@" \
        </dev/null >"$log" 2>&1 3>&- 4>&- &
    PLUGIN_PID=$!

    if ! wait_until 20 plugin_is_ready "$PLUGIN_PID" "$sockdir" "$address"; then
        is_running "$PLUGIN_PID" ||
            die "nvidia-docker-plugin exited at start (log: $log)"
        die "nvidia-docker-plugin did not serve http://$address and $sockdir/nvidia-docker.sock within 20 s (log: $log)"
    fi
}

# trap_second_plugin LOG: make the EXIT trap stop the plugin of PLUGIN_PID,
# which a test starts itself with start_plugin LOG ..., and print LOG when
# the test fails. INT and TERM exit through that trap too.
trap_second_plugin() {
    SECOND_PLUGIN_LOG=$1
    PLUGIN_PID=
    trap stop_second_plugin EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

stop_second_plugin() {
    local status=$?
    stop_process "$PLUGIN_PID" "second nvidia-docker-plugin" 10
    if [ "$status" -ne 0 ] && [ -s "$SECOND_PLUGIN_LOG" ]; then
        echo "--- log of the second plugin ---" >&2
        cat "$SECOND_PLUGIN_LOG" >&2
    fi
}

# Succeeds once the plugin's REST API accepts connections (any HTTP status)
# and its volume plugin socket exists.
plugin_is_ready() {
    is_running "$1" || return 2
    [ -S "$2/nvidia-docker.sock" ] || return 1
    curl -s -o /dev/null --max-time 2 "http://$3/docker/cli" || return 1
}
