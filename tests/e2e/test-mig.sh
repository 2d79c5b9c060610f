#!/bin/bash
# MIG devices on a second plugin serving an a100x8-mig root: /docker/cli
# gives a MIG device its GPU's node and its two capability nodes, an
# unknown MIG device gets HTTP 400, and a container run with those devices
# sees, through the NVML double, exactly that one MIG device of GPU 0,
# whether docker gets the devices from /docker/cli or from nvidia-docker
# with NV_HOST naming the plugin.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-mig

root="$E2E_TMP/root"
address="127.0.0.1:$SECOND_PLUGIN_PORT"
url="http://$address"

# GPU 0's MIG device 1: GPU instance 8, compute instance 0, so capability
# minors 3 + 9 * 8 = 75 and 76.
mig_uuid=MIG-845cc3bb-3c5d-5074-b69b-eb4b4bfadf1a

trap_second_plugin "$E2E_TMP/plugin.log"

run_ok "$NVD_SIM" init "$root" --profile a100x8-mig
start_plugin "$E2E_TMP/plugin.log" "$E2E_TMP/sock2" "$address" \
    --driver-root "$root" --dev-root "$root" -d "$E2E_TMP/volumes"

# The three names of one MIG device give the same arguments.
for dev in 0:1 "$mig_uuid" "${mig_uuid:0:10}"; do
    run_ok curl -sf --max-time 10 "$url/docker/cli?dev=$dev"
    devices=$(printf '%s\n' "$OUT" | tr ' ' '\n' | grep '^--device=')
    expect_eq "--device arguments of dev=$dev" "--device=$root/dev/nvidiactl:/dev/nvidiactl
--device=$root/dev/nvidia-uvm:/dev/nvidia-uvm
--device=$root/dev/nvidia-uvm-tools:/dev/nvidia-uvm-tools
--device=$root/dev/nvidia0:/dev/nvidia0
--device=$root/dev/nvidia-caps/nvidia-cap75:/dev/nvidia-caps/nvidia-cap75
--device=$root/dev/nvidia-caps/nvidia-cap76:/dev/nvidia-caps/nvidia-cap76" "$devices"
done

for dev in 0:9 3:0 MIG-ffff; do
    run_ok curl -s --max-time 10 -w '\n%{http_code}' "$url/docker/cli?dev=$dev"
    expect_eq "HTTP status of dev=$dev" 400 "$(printf '%s\n' "$OUT" | tail -n 1)"
    expect_contains "body of dev=$dev" "invalid device: $dev" "$OUT"
done

run_ok curl -sf --max-time 10 "$url/docker/cli?dev=0:1"
read -r -a device_args <<<"$(printf '%s\n' "$OUT" | tr ' ' '\n' | grep '^--device=' | tr '\n' ' ')"

# The image carries the k80x2 doubles, so this root's nvidia-smi and NVML
# double go first in PATH and LD_LIBRARY_PATH.
lib="$root/usr/lib/x86_64-linux-gnu"
run_ok "$DOCKER" run --rm "${device_args[@]}" \
    -v "$root/usr/bin/nvidia-smi:/usr/local/nvidia/bin/nvidia-smi:ro" \
    -v "$lib:/usr/local/nvidia/lib64:ro" \
    "$IMAGE" sh -c 'nvidia-smi -L && ls /dev /dev/nvidia-caps'
expect_line "nvidia-smi -L in the container" \
    "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-4c586a28-bfff-e537-f867-c98046afdc04)" "$OUT"
expect_line "nvidia-smi -L in the container" "  MIG 1g.5gb     Device  0: (UUID: $mig_uuid)" "$OUT"
expect_eq "MIG devices in the container" 1 "$(printf '%s\n' "$OUT" | grep -c '^  MIG ')"
expect_eq "GPUs in the container" 1 "$(printf '%s\n' "$OUT" | grep -c '^GPU ')"
expect_line "/dev/nvidia-caps in the container" nvidia-cap75 "$OUT"
expect_line "/dev/nvidia-caps in the container" nvidia-cap76 "$OUT"
expect_no_line "/dev in the container" nvidia1 "$OUT"
expect_no_line "/dev/nvidia-caps in the container" nvidia-cap66 "$OUT"

# The same MIG device through nvidia-docker in remote mode: NV_HOST names
# this plugin, so the container gets its devices. The second plugin is not
# dockerd's volume driver, so the driver volume it names
# (nvidia_driver_550.54.15) comes from the harness's plugin, with that
# plugin's k80x2 files. This root's nvidia-smi and NVML double are mounted
# over them, as above.
volume=nvidia_driver_550.54.15
remove_volume() {
    "$DOCKER" volume rm "$volume" >/dev/null 2>&1 || true
}
trap 'remove_volume; stop_second_plugin' EXIT
capture env NV_HOST="$url" NV_GPU="$mig_uuid" "$NVIDIA_DOCKER" run --rm \
    -v "$root/usr/bin/nvidia-smi:/usr/local/nvidia/bin/nvidia-smi:ro" \
    -v "$lib:/usr/local/nvidia/lib64:ro" \
    "$IMAGE" sh -c 'nvidia-smi -L && ls /dev /dev/nvidia-caps'
expect_status 0
expect_line "nvidia-smi -L through nvidia-docker" \
    "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-4c586a28-bfff-e537-f867-c98046afdc04)" "$OUT"
expect_line "nvidia-smi -L through nvidia-docker" "  MIG 1g.5gb     Device  0: (UUID: $mig_uuid)" "$OUT"
expect_eq "MIG devices through nvidia-docker" 1 "$(printf '%s\n' "$OUT" | grep -c '^  MIG ')"
expect_eq "GPUs through nvidia-docker" 1 "$(printf '%s\n' "$OUT" | grep -c '^GPU ')"
expect_eq "device nodes through nvidia-docker" "nvidia-cap75
nvidia-cap76
nvidia-caps
nvidia-uvm
nvidia-uvm-tools
nvidia0
nvidiactl" "$(printf '%s\n' "$OUT" | grep '^nvidia' | sort)"
