#!/bin/bash
# Tests of `make install` into a DESTDIR: the installed files, libnvd.so's
# exports and soname, nvd.pc, a C program built against the installed
# library and run on an nvd-sim root, the systemd unit and the sysusers.d
# file. Nothing is written outside a temporary directory.
#
# Usage: tests/install/test-install.sh BUILD_DIR   (as root: nvd-sim makes
# device nodes)
#
# It installs with BUILD_DIR's own prefix, so the build is not reconfigured.
# Prints "ok - NAME" or "not ok - NAME" per check and exits 1 when any fails.
set -eu

usage() {
    echo "usage: tests/install/test-install.sh BUILD_DIR" >&2
    exit 2
}

die() {
    echo "test-install: error: $*" >&2
    exit 1
}

[ $# -eq 1 ] || usage
[ -d "$1" ] || die "build directory $1 not found"
BUILD=$(cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || die "must run as root, since nvd-sim makes device nodes; try: sudo $0 $1"
for program in make meson python3 pkg-config cc nm readelf systemd-analyze systemd-sysusers; do
    command -v "$program" >/dev/null ||
        die "$program not found; install the dependencies: scripts/install-deps"
done

TMP=$(mktemp -d /tmp/nvd-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
DEST=$TMP/dest
failures=0

# check NAME COMMAND...: run COMMAND and print "ok - NAME", or "not ok - NAME"
# followed by what COMMAND printed.
check() {
    local name=$1 output
    shift
    if output=$("$@" 2>&1); then
        echo "ok - $name"
    else
        echo "not ok - $name"
        printf '%s\n' "$output" | sed 's/^/    /'
        failures=$((failures + 1))
    fi
}

# build_option NAME: print the value of meson option NAME in BUILD.
build_option() {
    meson introspect --buildoptions "$BUILD" |
        python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == sys.argv[1]))' "$1"
}

# under_prefix DIR: print DIR, which meson takes as relative to the prefix
# unless it is absolute.
under_prefix() {
    case $1 in
        /*) echo "$1" ;;
        *) echo "$PREFIX/$1" ;;
    esac
}

PREFIX=$(build_option prefix)
BINDIR=$(under_prefix "$(build_option bindir)")
LIBDIR=$(under_prefix "$(build_option libdir)")
INCLUDEDIR=$(under_prefix "$(build_option includedir)")
UNITDIR=$(build_option systemdunitdir)
UNITDIR=$(under_prefix "${UNITDIR:-lib/systemd/system}")
SYSUSERSDIR=$(build_option sysusersdir)
SYSUSERSDIR=$(under_prefix "${SYSUSERSDIR:-lib/sysusers.d}")
VERSION=$(meson introspect --projectinfo "$BUILD" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
LIB=$DEST$LIBDIR

# --- install -----------------------------------------------------------------

if ! make -s -C "$REPO" install BUILD="$BUILD" PREFIX="$PREFIX" DESTDIR="$DEST" \
        >"$TMP/install.log" 2>&1; then
    sed 's/^/    /' "$TMP/install.log"
    die "make install BUILD=$BUILD PREFIX=$PREFIX DESTDIR=$DEST failed"
fi

expect_installed() {
    local path missing=""
    for path in "$@"; do
        [ -e "$DEST$path" ] || missing="$missing $path"
    done
    [ -z "$missing" ] || { echo "missing under $DEST:$missing"; return 1; }
}
check "programs installed" expect_installed \
    "$BINDIR/nvidia-docker" "$BINDIR/nvidia-docker-plugin" "$BINDIR/nvidia-docker-cdi" \
    "$BINDIR/nvd-sim"
check "library files installed" expect_installed \
    "$LIBDIR/libnvd.so.$VERSION" "$LIBDIR/libnvd.so.0" "$LIBDIR/libnvd.so" \
    "$INCLUDEDIR/nvd.h" "$LIBDIR/pkgconfig/nvd.pc"
check "nvd-sim data installed" expect_installed \
    "$LIBDIR/nvd/sim/libnvidia-ml-64.so" "$LIBDIR/nvd/sim/nvidia-smi" \
    "$LIBDIR/nvd/sim/profiles/k80x2.json"
check "systemd files installed" expect_installed \
    "$UNITDIR/nvidia-docker.service" "$SYSUSERSDIR/nvidia-docker.conf"

# --- libnvd.so -----------------------------------------------------------------

expect_link() {
    local target
    target=$(readlink "$1") || { echo "$1 is not a symbolic link"; return 1; }
    [ "$target" = "$2" ] || { echo "$1 points to $target, expected $2"; return 1; }
}
check "libnvd.so links to soname" expect_link "$LIB/libnvd.so" libnvd.so.0
check "libnvd.so.0 links to file" expect_link "$LIB/libnvd.so.0" "libnvd.so.$VERSION"

expect_soname() {
    readelf -d "$LIB/libnvd.so.$VERSION" | grep -q '(SONAME).*\[libnvd\.so\.0\]' ||
        { readelf -d "$LIB/libnvd.so.$VERSION"; return 1; }
}
check "libnvd soname is libnvd.so.0" expect_soname

# The names that the installed nvd.h declares NVD_PUBLIC: the identifier
# before the first "(" of each declaration, which starts on the NVD_PUBLIC line.
public_names() {
    grep -v '^#' "$DEST$INCLUDEDIR/nvd.h" | grep -o 'NVD_PUBLIC[^(]*(' |
        sed 's/($//; s/.*[^A-Za-z0-9_]//' | sort -u
}

# Every exported symbol must be a public name with version NVD_0, and every
# public name must be exported.
expect_exports() {
    local exported
    exported=$(nm -D --defined-only "$LIB/libnvd.so.$VERSION" | awk '$3 != "NVD_0" { print $3 }' | sort)
    if printf '%s\n' "$exported" | grep -v '@@NVD_0$'; then
        echo "^ exported without the version NVD_0"
        return 1
    fi
    diff -u <(public_names) <(printf '%s\n' "$exported" | sed 's/@@NVD_0$//') |
        sed 's/^--- .*/--- NVD_PUBLIC in nvd.h/; s/^+++ .*/+++ exported by libnvd.so/'
    return "${PIPESTATUS[0]}"
}
check "libnvd exports nvd.h public API" expect_exports

# The programs link libnvd statically, so the wrapper loads nothing more.
expect_static_libnvd() {
    local program
    for program in nvidia-docker nvidia-docker-plugin nvidia-docker-cdi nvd-sim; do
        if readelf -d "$DEST$BINDIR/$program" | grep '(NEEDED).*libnvd'; then
            echo "^ $program needs libnvd.so"
            return 1
        fi
    done
}
check "programs link libnvd statically" expect_static_libnvd

# --- pkg-config and the C example -------------------------------------------------

export PKG_CONFIG_PATH=$LIB/pkgconfig
export PKG_CONFIG_SYSROOT_DIR=$DEST

expect_versions() {
    local pc header
    pc=$(pkg-config --modversion nvd) || return 1
    header=$(sed -n 's/^#define NVD_VERSION "\(.*\)"$/\1/p' "$DEST$INCLUDEDIR/nvd.h")
    if [ "$pc" != "$VERSION" ] || [ "$header" != "$VERSION" ]; then
        echo "meson: $VERSION, nvd.pc: $pc, NVD_VERSION in nvd.h: $header"
        return 1
    fi
}
check "nvd.pc and nvd.h versions" expect_versions

# The README shows tests/install/list_gpus.c: the first ```c block after
# the heading "## Using libnvd from C".
expect_readme_example() {
    awk '/^## Using libnvd from C/ { section = 1; next }
         section && /^```c$/ { block = 1; next }
         block && /^```$/ { exit }
         block { print }' "$REPO/README.md" >"$TMP/readme_example.c"
    [ -s "$TMP/readme_example.c" ] || { echo "no \`\`\`c block under '## Using libnvd from C' in README.md"; return 1; }
    diff -u "$REPO/tests/install/list_gpus.c" "$TMP/readme_example.c"
}
check "README example matches list_gpus.c" expect_readme_example

build_example() {
    # shellcheck disable=SC2046 # pkg-config prints separate words
    cc -std=c17 -Wall -Wextra -Wpedantic -Werror -o "$TMP/list_gpus" \
        "$REPO/tests/install/list_gpus.c" $(pkg-config --cflags --libs nvd)
}
check "example builds with pkg-config" build_example

SIM=$TMP/sim
"$BUILD/bin/nvd-sim" init "$SIM" --profile k80x2 >"$TMP/sim.log" 2>&1 ||
    { cat "$TMP/sim.log"; die "nvd-sim init $SIM --profile k80x2 failed"; }

# expect_line OUTPUT REGEX: OUTPUT has a line that matches REGEX in full.
expect_line() {
    printf '%s\n' "$1" | grep -qx -- "$2" || { echo "no line matches: $2"; return 1; }
}

expect_example_output() {
    local out
    [ -x "$TMP/list_gpus" ] || { echo "list_gpus was not built"; return 1; }
    out=$(LD_LIBRARY_PATH=$LIB "$TMP/list_gpus" "$SIM" 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    expect_line "$out" 'GPU 0: Tesla K80 (UUID: GPU-[0-9a-f-]*)' &&
        expect_line "$out" 'GPU 1: Tesla K80 (UUID: GPU-[0-9a-f-]*)' &&
        expect_line "$out" "--device=$SIM/dev/nvidiactl:/dev/nvidiactl" &&
        expect_line "$out" "--device=$SIM/dev/nvidia0:/dev/nvidia0" &&
        expect_line "$out" '--volume=nvidia_driver_[0-9.]*:/usr/local/nvidia:ro' || return 1
    if printf '%s\n' "$out" | grep -q -- '--device=.*nvidia1'; then
        echo "GPU 1's device is in the options for GPU 0"
        return 1
    fi
}
check "example lists GPUs on nvd-sim root" expect_example_output

expect_installed_library_used() {
    LD_LIBRARY_PATH=$LIB ldd "$TMP/list_gpus" | grep -q "libnvd\.so\.0 => $LIB/libnvd\.so\.0" ||
        { LD_LIBRARY_PATH=$LIB ldd "$TMP/list_gpus"; return 1; }
}
check "example loads installed libnvd" expect_installed_library_used

# --- systemd unit and user ------------------------------------------------------

UNIT=$DEST$UNITDIR/nvidia-docker.service

expect_exec_start() {
    grep -qxF "ExecStart=$BINDIR/nvidia-docker-plugin -s \${SOCK_DIR}" "$UNIT" ||
        { grep '^ExecStart=' "$UNIT"; return 1; }
}
check "unit runs the installed plugin" expect_exec_start

# systemd-analyze verify checks that each command exists on this machine.
# The plugin is only under DESTDIR, so a copy of the unit points there;
# verify --root would need a whole systemd tree under DESTDIR. verify exits
# 0 after warnings such as an unknown key, so any output fails the check.
verify_unit() {
    local output
    mkdir -p "$TMP/verify"
    sed "s|^ExecStart=$BINDIR/|ExecStart=$DEST$BINDIR/|" "$UNIT" >"$TMP/verify/nvidia-docker.service"
    output=$(systemd-analyze verify "$TMP/verify/nvidia-docker.service" 2>&1) || { echo "$output"; return 1; }
    [ -z "$output" ] || { echo "$output"; return 1; }
}
check "systemd-analyze verify accepts unit" verify_unit

# create-user on an empty root: systemd-sysusers --root writes only there.
expect_user_created() {
    local root=$TMP/user-root entry
    mkdir -p "$root/etc" "$root$SYSUSERSDIR"
    cp "$DEST$SYSUSERSDIR/nvidia-docker.conf" "$root$SYSUSERSDIR/"
    "$REPO/packaging/create-user" "$root" "$SYSUSERSDIR/nvidia-docker.conf" || return 1
    entry=$(grep '^nvidia-docker:' "$root/etc/passwd") || { echo "no nvidia-docker in $root/etc/passwd"; return 1; }
    case $entry in
        nvidia-docker:x:*:*:"NVIDIA Docker plugin":/var/lib/nvidia-docker:/usr/sbin/nologin) ;;
        *) echo "unexpected entry: $entry"; return 1 ;;
    esac
    grep -q '^nvidia-docker:' "$root/etc/group" || { echo "no nvidia-docker in $root/etc/group"; return 1; }
}
check "sysusers file creates nvidia-docker" expect_user_created

if [ "$failures" -ne 0 ]; then
    echo "install tests: $failures failed"
    exit 1
fi
echo "install tests: all passed"
