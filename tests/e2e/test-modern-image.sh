#!/bin/bash
# A CUDA image of today carries no nvidia-docker 1.0 label: it sets
# NVIDIA_VISIBLE_DEVICES and NVIDIA_REQUIRE_* in its environment, which the
# command line's -e and --env-file override. nvidia-docker gives such an
# image the GPUs it names and checks its requirements against the driver
# (k80x2: driver 375.66, CUDA 8.0, Tesla K80 of compute capability 3.7).
# shellcheck source-path=SCRIPTDIR
. "$E2E_DIR/assert.sh"

modern=nvd-test/modern
one_gpu=nvd-test/modern-gpu1
too_new=nvd-test/modern-cuda9
legacy=nvd-test/legacy-cuda9

# import_modern NAME ENV...: import the harness's root as image NAME with
# the PATH and LD_LIBRARY_PATH of CUDA images and the given ENV settings
# (Dockerfile syntax: quote a value with blanks).
import_modern() {
    local name=$1 setting changes=()
    shift
    for setting in "$@"; do
        changes+=(--change "ENV $setting")
    done
    tar -C "$TMP_ROOT/rootfs" -cf - . | "$DOCKER" import \
        --change "ENV PATH=/usr/local/nvidia/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV LD_LIBRARY_PATH=/usr/local/nvidia/lib:/usr/local/nvidia/lib64" \
        "${changes[@]}" --change 'CMD ["sh"]' - "$name" >/dev/null ||
        fail "docker import of $name failed"
}

remove_images() {
    "$DOCKER" rmi -f "$modern" "$one_gpu" "$too_new" "$legacy" >/dev/null 2>&1 || true
}
trap remove_images EXIT

import_modern "$modern" NVIDIA_VISIBLE_DEVICES=all 'NVIDIA_REQUIRE_CUDA=cuda>=8.0'
import_modern "$one_gpu" NVIDIA_VISIBLE_DEVICES=1
import_modern "$too_new" NVIDIA_VISIBLE_DEVICES=all \
    'NVIDIA_REQUIRE_CUDA="cuda>=9.0 brand=geforce,driver>=390"'
import_modern "$legacy" CUDA_VERSION=9.0.176

gpu0="GPU 0: $GPU_NAME (UUID: $GPU0_UUID)"
gpu1_alone="GPU 0: $GPU_NAME (UUID: $GPU1_UUID)"
probe='ls /dev; if [ -e /usr/local/nvidia ]; then echo has-driver-volume; fi'

# The message of nvidia-docker's error line, without "<program> | <time> Error: ".
error_message() {
    printf '%s\n' "${ERR#* Error: }"
}

# NVIDIA_VISIBLE_DEVICES=all in the image: every GPU, requirement met.
run_ok "$NVIDIA_DOCKER" run --rm "$modern" nvidia-smi -L
expect_eq "nvidia-smi -L of $modern" "$gpu0
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# NVIDIA_VISIBLE_DEVICES=1 in the image: only GPU 1.
run_ok "$NVIDIA_DOCKER" run --rm "$one_gpu" sh -c "$probe"
expect_line "/dev of $one_gpu" nvidia1 "$OUT"
expect_no_line "/dev of $one_gpu" nvidia0 "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm "$one_gpu" nvidia-smi -L
expect_eq "nvidia-smi -L of $one_gpu" "$gpu1_alone" "$OUT"

# -e overrides the image, in each of docker's forms; the last one wins.
run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES=0 "$one_gpu" nvidia-smi -L
expect_eq "nvidia-smi -L with -e NVIDIA_VISIBLE_DEVICES=0" "$gpu0" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm --env=NVIDIA_VISIBLE_DEVICES=0 -e NVIDIA_VISIBLE_DEVICES=1 \
    "$modern" nvidia-smi -L
expect_eq "nvidia-smi -L with two -e, the last 1" "$gpu1_alone" "$OUT"
run_ok env NVIDIA_VISIBLE_DEVICES=0 "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES \
    "$modern" nvidia-smi -L
expect_eq "nvidia-smi -L with -e NVIDIA_VISIBLE_DEVICES from our environment" "$gpu0" "$OUT"

# --env-file overrides the image, and -e overrides --env-file whatever the order.
printf '# GPUs\nNVIDIA_VISIBLE_DEVICES=0\n' >"$E2E_TMP/env"
run_ok "$NVIDIA_DOCKER" run --rm --env-file "$E2E_TMP/env" "$one_gpu" nvidia-smi -L
expect_eq "nvidia-smi -L with --env-file" "$gpu0" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES=1 --env-file "$E2E_TMP/env" \
    "$modern" nvidia-smi -L
expect_eq "nvidia-smi -L with -e before --env-file" "$gpu1_alone" "$OUT"

# void, empty: a plain container. none: driver and control nodes, no GPU.
for value in void ''; do
    run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES="$value" "$modern" sh -c "$probe"
    expect_no_line "/dev with NVIDIA_VISIBLE_DEVICES='$value'" nvidiactl "$OUT"
    expect_no_line "/dev with NVIDIA_VISIBLE_DEVICES='$value'" nvidia0 "$OUT"
    expect_no_line "output with NVIDIA_VISIBLE_DEVICES='$value'" has-driver-volume "$OUT"
done
run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES=none "$modern" sh -c "$probe"
expect_line "/dev with NVIDIA_VISIBLE_DEVICES=none" nvidiactl "$OUT"
expect_no_line "/dev with NVIDIA_VISIBLE_DEVICES=none" nvidia0 "$OUT"
expect_no_line "/dev with NVIDIA_VISIBLE_DEVICES=none" nvidia1 "$OUT"
expect_line "output with NVIDIA_VISIBLE_DEVICES=none" has-driver-volume "$OUT"

# The variable on the command line gives GPUs to a plain image too.
run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES=1 "$PLAIN_IMAGE" sh -c "$probe"
expect_line "/dev of the plain image with -e NVIDIA_VISIBLE_DEVICES=1" nvidia1 "$OUT"
expect_line "output of the plain image with -e NVIDIA_VISIBLE_DEVICES=1" has-driver-volume "$OUT"

# A requirement that the driver does not meet: exit 1, no container.
before=$(count_containers)
capture "$NVIDIA_DOCKER" run "$too_new" true
expect_status 1
expect_eq "error of $too_new" \
    'requirement "cuda>=9.0 brand=geforce,driver>=390" of NVIDIA_REQUIRE_CUDA is not met: the driver supports CUDA 8.0, the driver is version 375.66, GPU 0 (Tesla K80) is of brand Tesla; upgrade the driver or use an image made for an older CUDA, or add -e NVIDIA_DISABLE_REQUIRE=true to skip the check' \
    "$(error_message)"
expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"

# A legacy image (CUDA_VERSION, no NVIDIA_REQUIRE_CUDA) gets every GPU and
# requires the CUDA version it names.
capture "$NVIDIA_DOCKER" run --rm "$legacy" true
expect_status 1
expect_eq "error of $legacy" \
    'requirement "cuda>=9.0" of CUDA_VERSION=9.0.176 is not met: the driver supports CUDA 8.0; upgrade the driver or use an image made for an older CUDA, or add -e NVIDIA_DISABLE_REQUIRE=true to skip the check' \
    "$(error_message)"
run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_DISABLE_REQUIRE=1 "$legacy" nvidia-smi -L
expect_eq "nvidia-smi -L of $legacy" "$gpu0
GPU 1: $GPU_NAME (UUID: $GPU1_UUID)" "$OUT"

# NVIDIA_DISABLE_REQUIRE skips the check; -e can also replace the requirement.
run_ok "$NVIDIA_DOCKER" run --rm -e NVIDIA_DISABLE_REQUIRE=true "$too_new" nvidia-smi -L
expect_contains "nvidia-smi -L with NVIDIA_DISABLE_REQUIRE" "$gpu0" "$OUT"
run_ok "$NVIDIA_DOCKER" run --rm -e 'NVIDIA_REQUIRE_CUDA=cuda>=8.0' "$too_new" true

# Arch and brand are checked on the chosen GPUs.
capture "$NVIDIA_DOCKER" run --rm -e 'NVIDIA_REQUIRE_ARCH=arch>=5.0' "$one_gpu" true
expect_status 1
expect_eq "error of arch>=5.0" \
    'requirement "arch>=5.0" of NVIDIA_REQUIRE_ARCH is not met: GPU 1 (Tesla K80) has compute capability 3.7; add -e NVIDIA_DISABLE_REQUIRE=true to skip the check' \
    "$(error_message)"
run_ok "$NVIDIA_DOCKER" run --rm -e 'NVIDIA_REQUIRE_ARCH=arch>=3.7,brand=tesla' "$modern" true

# Malformed values: one line naming the value, exit 1.
capture "$NVIDIA_DOCKER" run --rm -e 'NVIDIA_REQUIRE_CUDA=cuda>>8' "$modern" true
expect_status 1
expect_contains "error of cuda>>8" 'invalid requirement "cuda>>8"' "$ERR"
capture "$NVIDIA_DOCKER" run --rm -e NVIDIA_DISABLE_REQUIRE=maybe "$modern" true
expect_status 1
expect_contains "error of NVIDIA_DISABLE_REQUIRE=maybe" 'invalid NVIDIA_DISABLE_REQUIRE="maybe"' "$ERR"
capture "$NVIDIA_DOCKER" run --rm -e NVIDIA_VISIBLE_DEVICES=9 "$modern" true
expect_status 1
expect_eq "error of NVIDIA_VISIBLE_DEVICES=9" \
    "NVIDIA_VISIBLE_DEVICES=9: invalid device: 9; valid devices are 0 ($GPU0_UUID), 1 ($GPU1_UUID), all, none and void" \
    "$(error_message)"
expect_eq "number of lines on stderr" 1 "$(printf '%s\n' "$ERR" | wc -l)"
expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"

# A value with a control character, or too long to send: rejected before
# the plugin is asked.
capture "$NVIDIA_DOCKER" run --rm -e "NVIDIA_VISIBLE_DEVICES=0
1" "$modern" true
expect_status 1
expect_eq "error of a NVIDIA_VISIBLE_DEVICES with a newline" \
    "invalid NVIDIA_VISIBLE_DEVICES: it contains the control character 0x0a; separate GPUs with commas, as in 0,1" \
    "$(error_message)"
capture env NV_GPU="$(printf '0,%.0s' $(seq 5000))" "$NVIDIA_DOCKER" run --rm "$modern" true
expect_status 1
expect_eq "error of a long NV_GPU" \
    "NV_GPU is 10000 characters long, more than the 8192 a GPU selection may have: list fewer GPUs, or use all" \
    "$(error_message)"
expect_eq "number of containers (docker ps -a)" "$before" "$(count_containers)"
