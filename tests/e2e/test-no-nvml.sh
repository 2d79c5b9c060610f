#!/bin/bash
# A driver root without libnvidia-ml.so.1: a second plugin on it stays up and
# its REST API returns HTTP 500 with a message naming the missing library.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/common.sh"
PROG=test-no-nvml

root="$E2E_TMP/root"
address="127.0.0.1:$SECOND_PLUGIN_PORT"

trap_second_plugin "$E2E_TMP/plugin.log"

run_ok "$NVD_SIM" init "$root" --profile k80x2
rm -f "$root"/usr/lib/*/libnvidia-ml.so*
ldconfig -r "$root"
run_ok ldconfig -p -C "$root/etc/ld.so.cache"
expect_not_contains "ld.so.cache of $root" libnvidia-ml "$OUT"

start_plugin "$E2E_TMP/plugin.log" "$E2E_TMP/sock2" "$address" \
    --driver-root "$root" --dev-root "$root" -d "$E2E_TMP/volumes"

for attempt in 1 2; do
    run_ok curl -s --max-time 10 -w '\n%{http_code}' "http://localhost:$SECOND_PLUGIN_PORT/gpu/info/json"
    code=$(printf '%s\n' "$OUT" | tail -n 1)
    body=$(printf '%s\n' "$OUT" | sed '$d')
    expect_eq "HTTP status of /gpu/info/json (request $attempt)" 500 "$code"
    expect_contains "body of /gpu/info/json (request $attempt)" libnvidia-ml.so.1 "$body"
done

is_running "$PLUGIN_PID" ||
    fail "the plugin on $root exited after the requests"
