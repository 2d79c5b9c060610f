#!/bin/bash
# nvidia-docker run -it under a pseudo-terminal (script from util-linux):
# the container gets a terminal on stdin and stdout, and the GPUs, and its
# exit status comes back through the terminal session.
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

# tty_run COMMAND: run the shell command line COMMAND in a new pseudo-
# terminal, with its output in OUT and its exit status in STATUS.
tty_run() {
    echo "\$ script -qec '$1' /dev/null"
    STATUS=0
    OUT=$(timeout 60 script -qec "$1" /dev/null 2>&1 </dev/null) || STATUS=$?
    # Once script's input has ended, its output carries a "^@": dropped.
    OUT=$(printf '%s' "$OUT" | tr -d '\r' | sed 's/\^@//g')
    COMMAND_LINE=$1
    ERR=
}

probe='if [ -t 0 ] && [ -t 1 ]; then echo has-tty; fi; nvidia-smi -L'
tty_run "$NVIDIA_DOCKER run -it --rm $IMAGE sh -c '$probe'"
expect_status 0
expect_line "output of run -it" has-tty "$OUT"
expect_line "output of run -it" "GPU 0: $GPU_NAME (UUID: $GPU0_UUID)" "$OUT"
expect_line "output of run -it" "GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# The same with the short options apart and glued to a value.
tty_run "$NVIDIA_DOCKER run -i -t -eNVD_X=1 --rm $IMAGE sh -c 'echo \$NVD_X; exit 4'"
expect_status 4
expect_line "output of run -i -t -eNVD_X=1" 1 "$OUT"
