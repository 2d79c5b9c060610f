#!/bin/bash
# A remote engine: DOCKER_HOST=ssh://root@10.213.0.1:2223 (or -H) names an
# engine "on another host", reached by the docker CLI through sshd, so
# nvidia-docker asks the plugin on that host through ssh, inspects the image
# and creates the volume with the docker command, and the container gets
# the GPUs. The other host is this one under an address on lo that is not
# loopback, with sshd running docker's dial-stdio against the test's dockerd.
# NV_HOST naming another host while the engine is local gives a warning.
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
    "ForceCommand /usr/bin/docker -H $DOCKER_HOST system dial-stdio"
make_ssh_client good user_key known_hosts
client_path="$SSH_DIR/good:$PATH"
remote="ssh://root@$ADDRESS:$SSH_PORT"

before=$(count_containers)

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
local_list=$OUT

# The docker CLI reaches the engine through sshd.
run_ok env PATH="$client_path" DOCKER_HOST="$remote" "$DOCKER" version --format '{{.Server.Version}}'

run_ok env PATH="$client_path" DOCKER_HOST="$remote" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with DOCKER_HOST=$remote" "$local_list" "$OUT"

run_ok env PATH="$client_path" NV_GPU=1 "$NVIDIA_DOCKER" -H "$remote" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with -H $remote and NV_GPU=1" "GPU 0: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# NV_HOST names the plugin even when the engine is remote.
run_ok env PATH="$client_path" DOCKER_HOST="$remote" NV_HOST=localhost: "$NVIDIA_DOCKER" \
    run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_HOST=localhost: and a remote engine" "$local_list" "$OUT"

# NV_HOST names another host while the engine is this one's: a warning.
run_ok env PATH="$client_path" NV_HOST="$remote:" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_HOST=$remote:" "$local_list" "$OUT"
expect_contains "stderr" "Warning: NV_HOST names nvidia-docker-plugin at $remote" "$ERR"

expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
