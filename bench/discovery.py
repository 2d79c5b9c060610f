#!/usr/bin/env python3
"""Time libnvd's discovery and its MIG layout check on nvd-sim roots.

For each profile it lays out an nvd-sim root, opens the driver once through
the built libnvd.so (ctypes), and times nvd_host_discover_with() and
nvd_mig_layout_current() over the same open driver, 41 times each. It
prints the medians as a Markdown table. Discovery includes the CUDA query
in a child process. Run as root (nvd-sim makes device nodes) from the
repository:

    bench/discovery.py [--build build] [profile ...]
"""
import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time

SAMPLES = 41


def load_library(build):
    """Load build's libnvd.so and declare the functions timed here."""
    lib = ctypes.CDLL(os.path.join(build, "src/lib/libnvd.so"))
    lib.nvd_driver_open.restype = ctypes.c_void_p
    lib.nvd_driver_open.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    lib.nvd_driver_close.argtypes = [ctypes.c_void_p]
    lib.nvd_host_discover_with.restype = ctypes.c_void_p
    lib.nvd_host_discover_with.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                           ctypes.c_void_p]
    lib.nvd_host_free.argtypes = [ctypes.c_void_p]
    lib.nvd_mig_layout_current.restype = ctypes.c_bool
    lib.nvd_mig_layout_current.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    return lib


def measure(lib, root):
    """Return the median discovery time and MIG check time on root, in seconds."""
    driver = lib.nvd_driver_open(root.encode(), None)
    if not driver:
        sys.exit(f"bench: cannot open the driver under {root}")
    discovery, check = [], []
    try:
        for _ in range(SAMPLES):
            start = time.perf_counter()
            host = lib.nvd_host_discover_with(driver, root.encode(), None, None)
            discovery.append(time.perf_counter() - start)
            if not host:
                sys.exit(f"bench: discovery under {root} failed")
            start = time.perf_counter()
            current = lib.nvd_mig_layout_current(driver, host)
            check.append(time.perf_counter() - start)
            lib.nvd_host_free(host)
            if not current:
                sys.exit(f"bench: the MIG layout under {root} changed between two calls")
    finally:
        lib.nvd_driver_close(driver)
    return statistics.median(discovery), statistics.median(check)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build", help="meson build directory (default: build)")
    parser.add_argument("profiles", nargs="*", default=["a100x8", "a100x8-mig"])
    args = parser.parse_args()

    lib = load_library(args.build)
    print("| profile | discovery | MIG layout check |")
    print("| --- | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="nvd-bench-discovery.") as work:
        for profile in args.profiles:
            root = os.path.join(work, profile)
            subprocess.run([os.path.join(args.build, "bin/nvd-sim"), "init", root,
                            "--profile", profile], check=True, stdout=subprocess.DEVNULL)
            discovery, check = measure(lib, root)
            print(f"| {profile} | {discovery * 1e3:.2f} ms | {check * 1e6:.1f} us |")


if __name__ == "__main__":
    main()
