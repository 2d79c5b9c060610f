#!/bin/bash
# CDI with a real consumer: a second plugin started with --cdi-dir writes
# nvidia-docker.json, the same spec that /cdi/json and `nvidia-docker cdi
# generate` return, and Debian's podman runs $IMAGE with
# --device nvidia.com/gpu=NAME. Each name gives the container exactly its
# GPUs; an unknown name fails with podman's message naming it. A driver
# upgrade rewrites the spec, a driver without GPUs removes it, and SIGTERM
# removes it. An unwritable --cdi-dir stops a plugin at start.
#
# Podman gets its own configuration and storage under $E2E_TMP. It runs in
# a mount namespace of its own with tmpfs over /run and /var/lib, because
# podman 4.3 reads CDI specs only from /etc/cdi and /var/run/cdi (it ignores
# cdi_spec_dirs, which the configuration sets for releases that read it),
# and it writes its blob cache to /var/lib/containers/cache whatever the
# storage settings are.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-cdi-podman

root="$E2E_TMP/root"
cdi_dir="$E2E_TMP/cdi"
spec="$cdi_dir/nvidia-docker.json"
address="127.0.0.1:$SECOND_PLUGIN_PORT"
url="http://$address"
log="$E2E_TMP/plugin.log"
conf="$E2E_TMP/podman"

trap_second_plugin "$log"

command -v podman >/dev/null ||
    fail "podman not found; install the dependencies: scripts/install-deps"

# --- Podman's configuration and storage, all under $E2E_TMP ------------------

mkdir -p "$conf/graph" "$conf/run" "$conf/tmp"
cat >"$conf/containers.conf" <<EOF
[containers]
# Podman's default nofile limit is above what this host lets root set, and
# runc then fails with "error setting rlimit type 7", so set no limit.
default_ulimits = []
log_driver = "k8s-file"

[engine]
cdi_spec_dirs = [ "$cdi_dir" ]
cgroup_manager = "cgroupfs"
events_logger = "none"
image_copy_tmp_dir = "$conf/tmp"
tmp_dir = "$conf/tmp"
EOF
cat >"$conf/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$conf/graph"
runroot = "$conf/run"
EOF
printf '{"default": [{"type": "insecureAcceptAnything"}]}\n' >"$conf/policy.json"
: >"$conf/registries.conf"
export CONTAINERS_CONF="$conf/containers.conf"
export CONTAINERS_STORAGE_CONF="$conf/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$conf/registries.conf"

# The mount namespace podman runs in: its CDI directory is $cdi_dir.
cat >"$conf/podman-ns" <<EOF
#!/bin/bash
set -eu
mount -t tmpfs -o mode=0755 nvd-run /run
mount -t tmpfs -o mode=0755 nvd-var-lib /var/lib
mkdir /run/cdi
mount --bind "$cdi_dir" /run/cdi
if [ -d /etc/cdi ]; then
    mount -t tmpfs -o mode=0755 nvd-etc-cdi /etc/cdi
fi
# Podman 4.3 fails when DOCKER_CONFIG names a directory without config.json.
unset DOCKER_CONFIG
exec podman "\$@"
EOF
chmod 755 "$conf/podman-ns"

podman_run() {
    capture unshare -m --propagation private "$conf/podman-ns" "$@"
}

# --- The spec from the plugin, REST and the CLI ---------------------------------

run_ok "$NVD_SIM" init "$root" --profile k80x2
start_plugin "$log" "$E2E_TMP/sock" "$address" \
    --driver-root "$root" --dev-root "$root" -d "$E2E_TMP/volumes" --cdi-dir "$cdi_dir"
[ -f "$spec" ] || fail "the plugin did not write $spec at start"
written=$(cat "$spec")
expect_contains "$spec" '"kind": "nvidia.com/gpu"' "$written"
expect_contains "$spec" "\"hostPath\": \"$E2E_TMP/volumes/nvidia_driver/$DRIVER_VERSION\"" "$written"

for path in /cdi/json /v1.0/cdi/json; do
    run_ok curl -s --fail --max-time 10 "$url$path"
    expect_eq "$path of the plugin started with --cdi-dir" "$written" "$OUT"
done
run_ok "$NVIDIA_DOCKER" cdi generate --driver-root "$root" --dev-root "$root" \
    --volumes-dir "$E2E_TMP/volumes"
expect_eq "nvidia-docker cdi generate" "$written" "$OUT"

# --- podman run --device nvidia.com/gpu=NAME ------------------------------------

"$DOCKER" save -o "$E2E_TMP/image.tar" "$IMAGE"
podman_run load --signature-policy "$conf/policy.json" -i "$E2E_TMP/image.tar"
expect_status 0

# gpu_list NAME: run nvidia-smi -L in a container with nvidia.com/gpu=NAME.
gpu_list() {
    podman_run run --rm --network none --device "nvidia.com/gpu=$1" "$IMAGE" nvidia-smi -L
    expect_status 0
}

gpu_list 1
expect_eq "number of GPUs with nvidia.com/gpu=1" 1 "$(printf '%s\n' "$OUT" | grep -c '^GPU ')"
expect_contains "nvidia-smi -L with nvidia.com/gpu=1" "$GPU1_UUID" "$OUT"
expect_not_contains "nvidia-smi -L with nvidia.com/gpu=1" "$GPU0_UUID" "$OUT"

gpu_list all
expect_eq "number of GPUs with nvidia.com/gpu=all" 2 "$(printf '%s\n' "$OUT" | grep -c '^GPU ')"
expect_contains "nvidia-smi -L with nvidia.com/gpu=all" "$GPU0_UUID" "$OUT"
expect_contains "nvidia-smi -L with nvidia.com/gpu=all" "$GPU1_UUID" "$OUT"

gpu_list "$GPU0_UUID"
expect_eq "number of GPUs with nvidia.com/gpu=$GPU0_UUID" 1 "$(printf '%s\n' "$OUT" | grep -c '^GPU ')"
expect_contains "nvidia-smi -L with nvidia.com/gpu=$GPU0_UUID" "$GPU0_UUID" "$OUT"
expect_not_contains "nvidia-smi -L with nvidia.com/gpu=$GPU0_UUID" "$GPU1_UUID" "$OUT"

# The container has its GPU's node and the control nodes, and the volume read-only.
podman_run run --rm --network none --device nvidia.com/gpu=1 "$IMAGE" \
    sh -c 'ls /dev | grep nvidia; touch /usr/local/nvidia/x 2>/dev/null && echo writable; ls /usr/local/nvidia'
expect_status 0
expect_eq "nvidia nodes in the container" \
    "$(printf 'nvidia-uvm\nnvidia-uvm-tools\nnvidia1\nnvidiactl')" \
    "$(printf '%s\n' "$OUT" | grep '^nvidia' | sort)"
expect_no_line "container's /usr/local/nvidia" writable "$OUT"
expect_line "container's /usr/local/nvidia" lib64 "$OUT"

podman_run run --rm --network none --device nvidia.com/gpu=7 "$IMAGE" nvidia-smi -L
expect_failure
expect_contains "podman's error for nvidia.com/gpu=7" "nvidia.com/gpu=7" "$ERR"

# --- The spec follows the driver ---------------------------------------------------

# Status 1, not grep's 2, for a missing file: wait_until gives up at once on 2.
spec_mentions() {
    [ -f "$spec" ] && grep -qF "$1" "$spec"
}
spec_missing() {
    [ ! -e "$spec" ]
}

run_ok "$NVD_SIM" init "$root" --profile k80x2 --driver-version 390.12
wait_until 20 spec_mentions "/nvidia_driver/390.12\"" ||
    fail "$spec does not name driver 390.12's volume 20 s after the upgrade: $(cat "$spec" 2>&1)"
gpu_list 0
expect_contains "nvidia-smi -L with nvidia.com/gpu=0 after the upgrade" "$GPU0_UUID" "$OUT"

run_ok "$NVD_SIM" init "$root" --profile none
wait_until 20 spec_missing ||
    fail "$spec still exists 20 s after the driver lost its GPUs"
grep -q "Removed $spec: it no longer describes the driver" "$log" ||
    fail "the plugin did not log the removal of $spec"
podman_run run --rm --network none --device nvidia.com/gpu=0 "$IMAGE" nvidia-smi -L
expect_failure
expect_contains "podman's error without a spec" "nvidia.com/gpu=0" "$ERR"

run_ok "$NVD_SIM" init "$root" --profile k80x2
wait_until 20 spec_mentions "/nvidia_driver/$DRIVER_VERSION\"" ||
    fail "$spec was not written again 20 s after the GPUs came back"

# SIGTERM: nothing keeps the spec current any more, so it goes.
kill -TERM "$PLUGIN_PID"
wait_until 10 has_exited "$PLUGIN_PID" || fail "the second plugin still runs 10 s after SIGTERM"
PLUGIN_PID=
[ ! -e "$spec" ] || fail "$spec still exists after the plugin stopped"

# --- An unwritable --cdi-dir stops the plugin at start ------------------------------

: >"$E2E_TMP/file"
capture timeout 20 "$PLUGIN" -s "$E2E_TMP/sock3" -l "$address" --driver-root "$root" \
    --dev-root "$root" -d "$E2E_TMP/volumes" --cdi-dir "$E2E_TMP/file/cdi"
expect_status 1
expect_contains "error for an unwritable --cdi-dir" "invalid --cdi-dir $E2E_TMP/file/cdi" "$ERR"
