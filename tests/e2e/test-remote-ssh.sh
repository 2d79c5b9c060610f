#!/bin/bash
# Remote mode through ssh: a real sshd (Debian's openssh-server) on
# 127.0.0.1 with its own host key, and the OpenSSH client with a user key,
# reach the plugin on localhost:3476 "there". nvidia-docker runs the ssh of
# PATH, which reads its config from the passwd home and never from $HOME,
# so the test puts first in PATH an ssh that adds "-F CONFIG", as a user's
# ~/.ssh/config would. A wrong host key, a refused key, a closed remote
# port and a missing ssh each fail with one line that carries ssh's reason.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

SSH_PORT=2222
dir=$E2E_TMP/ssh
mkdir -p "$dir"

sshd_pid=
stop_sshd() {
    if [ -n "$sshd_pid" ]; then
        kill "$sshd_pid" 2>/dev/null || true
        wait "$sshd_pid" 2>/dev/null || true
    fi
}
trap stop_sshd EXIT

# Keys: the server's, an authorized user key, and a key sshd does not know.
for key in host_key user_key other_key; do
    ssh-keygen -q -t ed25519 -N '' -C "nvd-e2e $key" -f "$dir/$key"
done
cp "$dir/user_key.pub" "$dir/authorized_keys"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$dir/host_key.pub")" \
    >"$dir/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$dir/other_key.pub")" \
    >"$dir/wrong_known_hosts"

cat >"$dir/sshd_config" <<CONFIG
ListenAddress 127.0.0.1:$SSH_PORT
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
PidFile none
CONFIG

# sshd needs /run/sshd, which exists only where the system's sshd runs: it
# gets a tmpfs /run in a mount namespace of its own.
unshare -m sh -c 'mount -t tmpfs nvd-sshd /run && mkdir -m 0755 /run/sshd &&
    exec /usr/sbin/sshd -D -e -f "$1"' sshd "$dir/sshd_config" >"$dir/sshd.log" 2>&1 &
sshd_pid=$!
for _ in $(seq 50); do
    [ -n "$(ss -Hltn "sport = :$SSH_PORT")" ] && break
    sleep 0.1
done
[ -n "$(ss -Hltn "sport = :$SSH_PORT")" ] || { cat "$dir/sshd.log"; fail "sshd did not listen"; }

# make_client NAME KEY KNOWN_HOSTS: an ssh client config and, in
# $dir/NAME/ssh, an ssh that uses it.
make_client() {
    mkdir -p "$dir/$1"
    cat >"$dir/$1/config" <<CONFIG
Host *
    IdentityFile $dir/$2
    IdentitiesOnly yes
    IdentityAgent none
    UserKnownHostsFile $dir/$3
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
CONFIG
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/$1/config" >"$dir/$1/ssh"
    chmod +x "$dir/$1/ssh"
}
make_client good user_key known_hosts
make_client wrong-host-key user_key wrong_known_hosts
make_client refused-key other_key known_hosts

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
