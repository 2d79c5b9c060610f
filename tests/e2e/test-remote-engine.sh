#!/bin/bash
# A remote engine: DOCKER_HOST=ssh://root@10.213.0.1:2223, -H or a docker
# context names an engine "on another host", reached by the docker CLI
# through sshd, so nvidia-docker asks the plugin on that host through ssh
# (sshd's log shows each forward), inspects the image and creates the
# volume with the docker command, and the container gets the GPUs. The
# other host is this one under an address on lo that is not loopback, with
# sshd running docker's dial-stdio against the test's dockerd. NV_HOST
# naming another host while the engine is local gives a warning.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/sshd.sh"

ADDRESS=10.213.0.1
SSH_PORT=2223

clean_up() {
    stop_sshd
    ip addr del "$ADDRESS/32" dev lo 2>/dev/null || true
}
trap clean_up EXIT

ip addr add "$ADDRESS/32" dev lo
start_sshd "$ADDRESS" "$SSH_PORT" \
    "ForceCommand /usr/bin/docker -H $DOCKER_HOST system dial-stdio" "LogLevel DEBUG1"
make_ssh_client good user_key known_hosts
client_path="$SSH_DIR/good:$PATH"
remote="ssh://root@$ADDRESS:$SSH_PORT"

before=$(count_containers)

# expect_forwards WHAT N: sshd has forwarded N connections to the plugin.
expect_forwards() {
    expect_eq "forwards to the plugin after $1" "$2" \
        "$(grep -c 'target localhost port 3476' "$SSH_DIR/sshd.log" || true)"
}

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
local_list=$OUT

# The docker CLI reaches the engine through sshd.
run_ok env PATH="$client_path" DOCKER_HOST="$remote" "$DOCKER" version --format '{{.Server.Version}}'

run_ok env PATH="$client_path" DOCKER_HOST="$remote" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with DOCKER_HOST=$remote" "$local_list" "$OUT"
expect_forwards "DOCKER_HOST=$remote" 1

run_ok env PATH="$client_path" NV_GPU=1 "$NVIDIA_DOCKER" -H "$remote" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with -H $remote and NV_GPU=1" "GPU 0: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"
expect_forwards "-H $remote" 2

# A docker context whose engine is remote, in a config of this test's own.
export DOCKER_CONFIG="$E2E_TMP/docker-config"
mkdir -p "$DOCKER_CONFIG"
run_ok "$DOCKER" context create nvd-remote --docker "host=$remote"
run_ok env PATH="$client_path" NV_GPU=0 "$NVIDIA_DOCKER" --context nvd-remote \
    run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with --context nvd-remote and NV_GPU=0" \
    "GPU 0: $GPU_NAME (UUID: $GPU0_UUID)" "$OUT"
expect_forwards "--context nvd-remote" 3
run_ok env -u DOCKER_HOST PATH="$client_path" DOCKER_CONTEXT=nvd-remote "$NVIDIA_DOCKER" \
    run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with DOCKER_CONTEXT=nvd-remote" "$local_list" "$OUT"
expect_forwards "DOCKER_CONTEXT=nvd-remote" 4

# NV_HOST names the plugin even when the engine is remote.
run_ok env PATH="$client_path" DOCKER_HOST="$remote" NV_HOST=localhost: "$NVIDIA_DOCKER" \
    run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_HOST=localhost: and a remote engine" "$local_list" "$OUT"
expect_forwards "NV_HOST=localhost:" 4

# NV_HOST names another host while the engine is this one's: a warning.
run_ok env PATH="$client_path" NV_HOST="$remote:" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_HOST=$remote:" "$local_list" "$OUT"
expect_contains "stderr" "Warning: NV_HOST names nvidia-docker-plugin at $remote" "$ERR"
expect_forwards "NV_HOST=$remote:" 5

expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
