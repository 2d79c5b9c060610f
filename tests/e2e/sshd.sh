# shellcheck shell=bash
# A real sshd (Debian's openssh-server) for the remote-mode tests, with its
# own host key, an authorized user key and a key it does not know, all
# under $E2E_TMP/ssh. Source it after assert.sh.
#
# nvidia-docker and the docker CLI run the ssh of PATH, which reads its
# config from the passwd home and never from $HOME. make_ssh_client
# therefore writes an ssh that adds "-F CONFIG", to put first in PATH in
# place of a user's ~/.ssh/config.

SSH_DIR=$E2E_TMP/ssh
SSHD_PID=

stop_sshd() {
    if [ -n "$SSHD_PID" ]; then
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
    fi
}

# start_sshd ADDRESS PORT [SSHD_OPTION...]: make the keys and start sshd on
# ADDRESS:PORT with the extra sshd_config lines given. Sets SSHD_PID; the
# caller stops it with stop_sshd (an EXIT trap).
start_sshd() {
    local address=$1 port=$2 key option
    shift 2
    mkdir -p "$SSH_DIR"

    for key in host_key user_key other_key; do
        ssh-keygen -q -t ed25519 -N '' -C "nvd-e2e $key" -f "$SSH_DIR/$key"
    done
    cp "$SSH_DIR/user_key.pub" "$SSH_DIR/authorized_keys"
    printf '[%s]:%s %s\n' "$address" "$port" "$(cut -d' ' -f1,2 "$SSH_DIR/host_key.pub")" \
        >"$SSH_DIR/known_hosts"
    printf '[%s]:%s %s\n' "$address" "$port" "$(cut -d' ' -f1,2 "$SSH_DIR/other_key.pub")" \
        >"$SSH_DIR/wrong_known_hosts"

    cat >"$SSH_DIR/sshd_config" <<CONFIG
ListenAddress $address:$port
HostKey $SSH_DIR/host_key
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
PidFile none
CONFIG
    for option in "$@"; do
        printf '%s\n' "$option" >>"$SSH_DIR/sshd_config"
    done

    # sshd needs /run/sshd, which exists only where the system's sshd runs:
    # it gets a tmpfs /run in a mount namespace of its own.
    unshare -m sh -c 'mount -t tmpfs nvd-sshd /run && mkdir -m 0755 /run/sshd &&
        exec /usr/sbin/sshd -D -e -f "$1"' sshd "$SSH_DIR/sshd_config" \
        >"$SSH_DIR/sshd.log" 2>&1 &
    SSHD_PID=$!
    for _ in $(seq 50); do
        [ -n "$(ss -Hltn "sport = :$port")" ] && return 0
        sleep 0.1
    done
    cat "$SSH_DIR/sshd.log" >&2
    fail "sshd did not listen on $address:$port within 5 s"
}

# make_ssh_client NAME KEY KNOWN_HOSTS: an ssh client config that uses the
# files KEY and KNOWN_HOSTS of $SSH_DIR, and $SSH_DIR/NAME/ssh that uses it.
make_ssh_client() {
    mkdir -p "$SSH_DIR/$1"
    cat >"$SSH_DIR/$1/config" <<CONFIG
Host *
    IdentityFile $SSH_DIR/$2
    IdentitiesOnly yes
    IdentityAgent none
    UserKnownHostsFile $SSH_DIR/$3
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
CONFIG
    printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$SSH_DIR/$1/config" >"$SSH_DIR/$1/ssh"
    chmod +x "$SSH_DIR/$1/ssh"
}
