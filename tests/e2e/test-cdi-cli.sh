#!/bin/bash
# nvidia-docker cdi: `generate` prints the spec of a driver root and builds
# its driver volume, a dev root of its own gives each node a host path
# there, and bad command lines, a missing root and a driver without GPUs
# each fail with a message that names the problem. docker never runs.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-cdi-cli

volumes="$E2E_TMP/volumes"
# Any docker run would fail the test: this "docker" only reports itself.
export NV_DOCKER="$E2E_TMP/no-docker"
printf '#!/bin/sh\necho "docker ran: $*" >&2\nexit 99\n' >"$NV_DOCKER"
chmod 755 "$NV_DOCKER"

run_ok "$NVIDIA_DOCKER" cdi generate --driver-root "$SIMROOT" --volumes-dir "$volumes"
spec=$OUT
expect_contains "spec" '"cdiVersion": "0.5.0"' "$spec"
expect_contains "spec" "\"name\": \"$GPU1_UUID\"" "$spec"
expect_contains "spec" "\"hostPath\": \"$SIMROOT/dev/nvidia1\"" "$spec"
expect_contains "spec" "\"hostPath\": \"$volumes/nvidia_driver/$DRIVER_VERSION\"" "$spec"
[ -x "$volumes/nvidia_driver/$DRIVER_VERSION/bin/nvidia-smi" ] ||
    fail "generate did not build the driver volume in $volumes"

# --volumes-dir=DIR is the same as --volumes-dir DIR.
run_ok "$NVIDIA_DOCKER" cdi generate --driver-root="$SIMROOT" --volumes-dir="$volumes"
expect_eq "spec with --opt=DIR" "$spec" "$OUT"

# A dev root of its own: the nodes come from there.
devroot="$E2E_TMP/devroot"
mkdir -p "$devroot"
cp -a "$SIMROOT/dev" "$devroot/"
run_ok "$NVIDIA_DOCKER" cdi generate --driver-root "$SIMROOT" --dev-root "$devroot" \
    --volumes-dir "$volumes"
expect_contains "spec with --dev-root" "\"hostPath\": \"$devroot/dev/nvidia0\"" "$OUT"
expect_not_contains "spec with --dev-root" "\"hostPath\": \"$SIMROOT/dev/" "$OUT"

run_ok "$NVIDIA_DOCKER" cdi --help
expect_contains "cdi --help" "Usage: nvidia-docker cdi generate" "$OUT"

capture "$NVIDIA_DOCKER" cdi
expect_status 2
expect_contains "cdi without a command" "Usage: nvidia-docker cdi generate" "$ERR"

capture "$NVIDIA_DOCKER" cdi list
expect_status 2
expect_contains "cdi list" "unknown command 'list'" "$ERR"

capture "$NVIDIA_DOCKER" cdi generate --driver-root
expect_status 2
expect_contains "generate --driver-root without a value" "option --driver-root needs a directory" "$ERR"

capture "$NVIDIA_DOCKER" cdi generate --output x
expect_status 2
expect_contains "generate --output" "unknown option '--output'" "$ERR"

capture "$NVIDIA_DOCKER" cdi generate --driver-root relative/root
expect_status 2
expect_contains "generate with a relative root" "invalid directory 'relative/root'" "$ERR"

capture "$NVIDIA_DOCKER" cdi generate --driver-root "$E2E_TMP/missing" --volumes-dir "$volumes"
expect_status 1
expect_contains "generate on a missing root" "$E2E_TMP/missing" "$ERR"
expect_eq "stdout of a failed generate" "" "$OUT"

run_ok "$NVD_SIM" init "$E2E_TMP/nogpu" --profile none
capture "$NVIDIA_DOCKER" cdi generate --driver-root "$E2E_TMP/nogpu" --volumes-dir "$volumes"
expect_status 1
expect_contains "generate without GPUs" "no GPU found under $E2E_TMP/nogpu" "$ERR"
expect_eq "stdout of generate without GPUs" "" "$OUT"
expect_not_contains "stderr of nvidia-docker cdi" "docker ran" "$ERR"
