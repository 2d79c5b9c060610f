#!/bin/bash
# Remote mode through ssh: a real sshd on 127.0.0.1 with its own host key
# (sshd.sh), and the OpenSSH client with a user key, reach the plugin on
# localhost:3476 "there". A wrong host key, a refused key, a closed remote
# port and a missing ssh each fail with one line that carries ssh's reason.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"
. "$E2E_DIR/sshd.sh"

SSH_PORT=2222
dir=$SSH_DIR
trap stop_sshd EXIT

start_sshd 127.0.0.1 "$SSH_PORT"
make_ssh_client good user_key known_hosts
make_ssh_client wrong-host-key user_key wrong_known_hosts
make_ssh_client refused-key other_key known_hosts

before=$(count_containers)

run_ok "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
local_list=$OUT
expect_contains "local nvidia-smi -L" "$GPU0_UUID" "$local_list"

# The 1.0 form with both ports, the default http port, and a user@ form.
for host in "ssh://root@127.0.0.1:$SSH_PORT:3476" "ssh://root@127.0.0.1:$SSH_PORT:"; do
    run_ok env PATH="$dir/good:$PATH" NV_HOST="$host" "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
    expect_eq "nvidia-smi -L with NV_HOST=$host" "$local_list" "$OUT"
done

run_ok env PATH="$dir/good:$PATH" NV_HOST="ssh://root@127.0.0.1:$SSH_PORT:" NV_GPU=1 \
    "$NVIDIA_DOCKER" run --rm "$IMAGE" nvidia-smi -L
expect_eq "nvidia-smi -L with NV_GPU=1 over ssh" "GPU 0: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# The plugin's 400 comes back through ssh.
capture env PATH="$dir/good:$PATH" NV_HOST="ssh://root@127.0.0.1:$SSH_PORT:" NV_GPU=9 \
    "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "answered 400: invalid device: 9" "$ERR"

# expect_ssh_failure CLIENT NV_HOST TEXT: the run fails with one line that
# names the host and contains TEXT.
expect_ssh_failure() {
    capture env PATH="$dir/$1:$PATH" NV_HOST="$2" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
    printf '%s\n' "$ERR"
    expect_status 1
    expect_contains "stderr" "nvidia-docker-plugin at ssh://root@127.0.0.1:$SSH_PORT" "$ERR"
    expect_contains "stderr" "$3" "$ERR"
    expect_eq "stderr lines" 1 "$(printf '%s\n' "$ERR" | wc -l)"
}
expect_ssh_failure wrong-host-key "ssh://root@127.0.0.1:$SSH_PORT:" "Host key verification failed"
expect_ssh_failure refused-key "ssh://root@127.0.0.1:$SSH_PORT:" "Permission denied (publickey)"
expect_ssh_failure good "ssh://root@127.0.0.1:$SSH_PORT:3481" "Connection refused"

# No ssh in PATH.
mkdir -p "$dir/empty"
capture env PATH="$dir/empty" NV_HOST="ssh://root@127.0.0.1:$SSH_PORT:" "$NVIDIA_DOCKER" run --rm "$IMAGE" true
expect_status 1
expect_contains "stderr" "ssh was not found in PATH" "$ERR"

expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
