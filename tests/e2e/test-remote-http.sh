#!/bin/bash
# Remote mode over HTTP, to the plugin on loopback: NV_HOST=localhost: (1.0's
# way to force remote mode) and NV_HOST=http://127.0.0.1:3476 give the GPUs
# of local mode; a bad NV_GPU shows the plugin's own message; a port where
# nothing listens, a server that never replies and a bad NV_HOST each fail
# with one line that says so, exit 1 and run no container.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

SILENT_PORT=3480   # a server that accepts and never replies
CLOSED_PORT=3481   # nothing listens

silent_pid=
stop_silent() {
    if [ -n "$silent_pid" ]; then
        kill "$silent_pid" 2>/dev/null || true
        wait "$silent_pid" 2>/dev/null || true
    fi
}
trap stop_silent EXIT

before=$(count_containers)

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
local_list=$OUT
expect_contains "local nvidia-smi -L" "$GPU1_UUID" "$local_list"

for host in localhost: http://127.0.0.1:3476 127.0.0.1 http://127.0.0.1:3476/; do
    run_ok env NV_HOST="$host" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
    expect_eq "nvidia-smi -L with NV_HOST=$host" "$local_list" "$OUT"
    expect_not_contains "stderr with NV_HOST=$host" "Warning" "$ERR"
done

run_ok env NV_HOST=localhost: NV_GPU=1 "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_HOST=localhost: NV_GPU=1" \
    "GPU 0: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# The plugin's 400, with where it came from.
capture env NV_HOST=localhost: NV_GPU=9 "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "nvidia-docker-plugin at localhost:3476 answered 400: invalid device: 9" "$ERR"

# Nothing listens.
capture env NV_HOST="127.0.0.1:$CLOSED_PORT" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "nvidia-docker-plugin at 127.0.0.1:$CLOSED_PORT could not be reached" "$ERR"
expect_contains "stderr" "Connection refused" "$ERR"

# A server that accepts the connection and never replies: the 10 s limit.
busybox nc -l -p "$SILENT_PORT" -e sleep 60 &
silent_pid=$!
for _ in $(seq 50); do
    [ -n "$(ss -Hltn "sport = :$SILENT_PORT")" ] && break
    sleep 0.1
done
[ -n "$(ss -Hltn "sport = :$SILENT_PORT")" ] ||
    fail "busybox nc did not listen on port $SILENT_PORT within 5 s"
capture env NV_HOST="http://127.0.0.1:$SILENT_PORT" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "GET /gpu/info/json from nvidia-docker-plugin at 127.0.0.1:$SILENT_PORT timed out after 10 s" "$ERR"

# Bad NV_HOST values name the value.
for host in https://127.0.0.1: 'ssh://-oProxyCommand=x:' 127.0.0.1:99999 'u:pw@h:'; do
    capture env NV_HOST="$host" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
    expect_status 1
    expect_contains "stderr" "invalid NV_HOST \"$host\"" "$ERR"
    expect_eq "stderr lines" 1 "$(printf '%s\n' "$ERR" | wc -l)"
done

expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
