#!/bin/bash
# The driver's life cycle in a second plugin on a root of its own. At start
# it runs nvidia-modprobe, because dev/nvidia-uvm is missing. It closes NVML
# once idle and opens it again for a request that needs it, and SIGHUP
# closes it at once. A driver upgrade, a missing NVML and a driver without
# GPUs are all served without a restart. A taken address or socket stops a
# third plugin with status 1, and SIGTERM ends the plugin with status 0.
# Whether NVML is loaded is read from /proc/PID/maps.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-driver-life

root="$E2E_TMP/root"
address="127.0.0.1:$SECOND_PLUGIN_PORT"
url="http://$address"
log="$E2E_TMP/plugin.log"
marker="$E2E_TMP/modprobe-args"
# NVML closes 5 s after its last use; this bounds the wait for it.
IDLE_WAIT_S=15

trap_second_plugin "$log"

nvml_loaded() {
    grep -q 'libnvidia-ml\.so' "/proc/$PLUGIN_PID/maps"
}
nvml_closed() {
    ! nvml_loaded
}

# get PATH: request PATH from the second plugin; sets CODE and BODY.
get() {
    capture curl -s --max-time 10 -w '\n%{http_code}' "$url$1"
    expect_status 0
    CODE=$(printf '%s\n' "$OUT" | tail -n 1)
    BODY=$(printf '%s\n' "$OUT" | sed '$d')
}

# --- Start: nvidia-modprobe, then 1.0's start-up lines ----------------------

run_ok "$NVD_SIM" init "$root" --profile k80x2
rm -f "$root/dev/nvidia-uvm" "$root/usr/bin/nvidia-modprobe"
printf '#!/bin/sh\necho "$@" >%s\n' "$marker" >"$root/usr/bin/nvidia-modprobe"
chmod 755 "$root/usr/bin/nvidia-modprobe"

start_plugin "$log" "$E2E_TMP/sock" "$address" \
    --driver-root "$root" --dev-root "$root" -d "$E2E_TMP/volumes"
[ -f "$marker" ] || fail "nvidia-modprobe did not run although $root/dev/nvidia-uvm is missing"
expect_eq "arguments of nvidia-modprobe" "-u -c=0" "$(cat "$marker")"
messages=$(sed 's/^[^|]*| [0-9/]* [0-9:]* //' "$log")
expect_eq "start-up lines of the log" "Loading NVIDIA unified memory
Loading NVIDIA management library
Discovering GPU devices
Discovered driver $DRIVER_VERSION with 2 GPUs under $root
Provisioning volumes at $E2E_TMP/volumes
Serving plugin API at $E2E_TMP/sock
Serving remote API at $address" "$(printf '%s\n' "$messages" | head -n 7)"

# --- NVML closes when idle and opens again on demand --------------------------

wait_until "$IDLE_WAIT_S" nvml_closed ||
    fail "NVML still loaded $IDLE_WAIT_S s after start-up with no request"
get /gpu/info/json
expect_eq "HTTP status of /gpu/info/json with NVML closed" 200 "$CODE"
nvml_closed || fail "/gpu/info/json loaded NVML, though the cached device list serves it"
get /gpu/status/json
expect_eq "HTTP status of /gpu/status/json" 200 "$CODE"
nvml_loaded || fail "NVML not loaded right after /gpu/status/json"
wait_until "$IDLE_WAIT_S" nvml_closed ||
    fail "NVML still loaded $IDLE_WAIT_S s after the last request"

# --- SIGHUP closes NVML at once ------------------------------------------------

get /gpu/status/json
expect_eq "HTTP status of /gpu/status/json" 200 "$CODE"
kill -HUP "$PLUGIN_PID"
wait_until 2 nvml_closed || fail "NVML still loaded 2 s after SIGHUP"
get /docker/cli/json
expect_eq "HTTP status of /docker/cli/json after SIGHUP" 200 "$CODE"
expect_contains "/docker/cli/json after SIGHUP" "nvidia_driver_$DRIVER_VERSION" "$BODY"
expect_contains "plugin log" "Received SIGHUP" "$(cat "$log")"

# --- A driver upgrade is noticed without a restart ----------------------------

run_ok "$NVD_SIM" init "$root" --profile k80x2 --driver-version 390.48
get /docker/cli/json
expect_eq "HTTP status of /docker/cli/json after the upgrade" 200 "$CODE"
expect_contains "/docker/cli/json after the upgrade" '"nvidia_driver_390.48:/usr/local/nvidia:ro"' "$BODY"
expect_contains "plugin log" "Driver changed: $DRIVER_VERSION -> 390.48" "$(cat "$log")"
get /gpu/status/json
expect_eq "HTTP status of /gpu/status/json after the upgrade" 200 "$CODE"

# --- A missing NVML is a 500 naming it, and the next request tries again ------

rm -f "$root"/usr/lib/*/libnvidia-ml.so*
ldconfig -r "$root"
for attempt in 1 2; do
    get /gpu/info/json
    expect_eq "HTTP status of /gpu/info/json without NVML (request $attempt)" 500 "$CODE"
    expect_contains "body of /gpu/info/json without NVML" libnvidia-ml.so.1 "$BODY"
done
run_ok "$NVD_SIM" init "$root" --profile k80x2
get /gpu/info/json
expect_eq "HTTP status of /gpu/info/json with NVML back" 200 "$CODE"

# --- Zero GPUs is a normal state -----------------------------------------------

run_ok "$NVD_SIM" init "$root" --profile none
get /docker/cli/json
expect_eq "HTTP status of /docker/cli/json with no GPU" 200 "$CODE"
expect_not_contains "/docker/cli/json with no GPU" '/dev/nvidia0' "$BODY"
get /gpu/status/json
expect_eq "HTTP status of /gpu/status/json with no GPU" 200 "$CODE"

# --- A taken address or socket stops another plugin with status 1 ------------

capture timeout 20 "$PLUGIN" -s "$E2E_TMP/sock3" -l "$address" --driver-root "$root" \
    -d "$E2E_TMP/volumes3"
expect_status 1
expect_contains "stderr of a plugin on a taken address" "address already in use" "$ERR"
capture timeout 20 "$PLUGIN" -s "$E2E_TMP/sock" -l 127.0.0.1:0 --driver-root "$root" \
    -d "$E2E_TMP/volumes3"
expect_status 1
expect_contains "stderr of a plugin on a taken socket" "another server is listening" "$ERR"
[ -S "$E2E_TMP/sock/nvidia-docker.sock" ] ||
    fail "the failed plugin removed the socket of the running one"

# --- SIGTERM: exit status 0, socket removed ----------------------------------

is_running "$PLUGIN_PID" || fail "the second plugin exited during the test"
kill -TERM "$PLUGIN_PID"
wait_until 10 has_exited "$PLUGIN_PID" || fail "the second plugin still runs 10 s after SIGTERM"
status=0
wait "$PLUGIN_PID" || status=$?
PLUGIN_PID=
expect_eq "exit status after SIGTERM" 0 "$status"
[ ! -e "$E2E_TMP/sock/nvidia-docker.sock" ] || fail "the socket remains after SIGTERM"
expect_eq "last log line" "Successfully terminated" "$(tail -n 1 "$log" | sed 's/^[^|]*| [0-9/]* [0-9:]* //')"
