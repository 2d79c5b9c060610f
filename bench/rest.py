#!/usr/bin/env python3
"""Benchmark nvidia-docker-plugin's REST API against nginx serving the same bytes.

For each profile it lays out an nvd-sim root and starts the plugin pinned to
CPU 0. It measures the time from exec to the first served request, as the
median of 15 starts, beside busybox httpd started and polled the same way
(the floor that process start and the poller set). It copies the plugin's /docker/cli and /gpu/info/json
bodies into an nginx root, starts nginx (one worker, pinned to CPU 0), and
runs wrk (pinned to CPU 1, keep-alive) against both in turn. It also reads
the plugin's private memory and RSS from /proc/PID/smaps_rollup when idle
(NVML closed) and after the load, and the p99 latency of /gpu/status/json.
It prints Markdown tables. Run as root from the repository:

    bench/rest.py [--build build] [--seconds 10] [profile ...]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PLUGIN_PORT = 23476  # below the ephemeral range, so a poll cannot connect to itself
IDLE_SECONDS = 6
START_SAMPLES = 15
NGINX_PORT = 23480


def free_port_or_die(port):
    """Exit when something listens on 127.0.0.1:port."""
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(f"bench: port {port} on 127.0.0.1 is in use; stop what listens there")


def http_get(port, path, timeout=2.0):
    """Return (status, body) of one GET over a fresh connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, body


def start_server(cmd, port, path, tmp, name):
    """Start cmd pinned to CPU 0; return (process, ms until GET path got a 200 reply)."""
    log = open(f"{tmp}/{name}.log", "w")
    start = time.perf_counter()
    proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, stderr=log, stdout=log)
    deadline = start + 10
    while time.perf_counter() < deadline:
        try:
            status, _ = http_get(port, path, timeout=0.5)
            if status == 200:
                return proc, (time.perf_counter() - start) * 1000
        except OSError:
            pass
        if proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"bench: {name} did not serve within 10 s; see {tmp}/{name}.log")


def start_plugin(build, root, tmp):
    """Start the plugin pinned to CPU 0; return (process, ms until it served /docker/cli)."""
    cmd = [f"{build}/bin/nvidia-docker-plugin",
           "--driver-root", root, "-s", f"{tmp}/sock", "-d", f"{tmp}/vols",
           "-l", f"127.0.0.1:{PLUGIN_PORT}"]
    return start_server(cmd, PLUGIN_PORT, "/docker/cli", tmp, "plugin")


def median_start(start, samples):
    """Return the median ms to serving of samples starts, each stopped with SIGTERM."""
    times = []
    for _ in range(samples):
        proc, ms = start()
        times.append(ms)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    return sorted(times)[len(times) // 2]


def memory(pid):
    """Return (private kB, private dirty kB, RSS kB) of pid from smaps_rollup."""
    private = dirty = rss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            kb = int(rest.split()[0]) if rest.split() else 0
            if key.startswith("Private_"):
                private += kb
            if key == "Private_Dirty":
                dirty = kb
            elif key == "Rss":
                rss = kb
    return private, dirty, rss


def start_nginx(tmp, files):
    """Serve files {name: bytes} from tmp/www with one nginx worker on CPU 0."""
    www = f"{tmp}/www"
    os.makedirs(www, exist_ok=True)
    for name, body in files.items():
        with open(f"{www}/{name}", "wb") as f:
            f.write(body)
    conf = f"""
worker_processes 1;
worker_cpu_affinity 01;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/nginx-body;
    proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fastcgi;
    uwsgi_temp_path {tmp}/nginx-uwsgi;
    scgi_temp_path {tmp}/nginx-scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{NGINX_PORT};
        root {www};
        default_type text/plain;
    }}
}}
"""
    with open(f"{tmp}/nginx.conf", "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["nginx", "-c", f"{tmp}/nginx.conf"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            if http_get(NGINX_PORT, "/" + next(iter(files)))[0] == 200:
                return proc
        except OSError:
            time.sleep(0.01)
    proc.kill()
    sys.exit(f"bench: nginx did not start; see {tmp}/nginx-error.log")


def wrk(port, path, seconds, latency=False):
    """Run wrk pinned to CPU 1; return (requests/s, p99 ms or None)."""
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c16", f"-d{seconds}s"]
    if latency:
        cmd.append("--latency")
    cmd.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = None
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if m:
        p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    if "Non-2xx" in out:
        print(f"bench: {path} returned errors under load; its figures are left out",
              file=sys.stderr)
        return None, None
    return rps, p99


def bench_profile(build, profile, seconds):
    """Measure one profile; return its figures as a dict."""
    tmp = tempfile.mkdtemp(prefix=f"nvd-bench-{profile}.")
    os.chmod(tmp, 0o755)  # nginx workers run as www-data
    root = f"{tmp}/root"
    subprocess.run([f"{build}/bin/nvd-sim", "init", root, "--profile", profile],
                   check=True, stdout=subprocess.DEVNULL)

    # Start-up is short and noisy: take the median of several starts, beside
    # busybox httpd started and polled the same way (a file it serves).
    with open(f"{tmp}/ping", "w") as f:
        f.write("ok\n")
    start_ms = median_start(lambda: start_plugin(build, root, tmp), START_SAMPLES)
    httpd = ["busybox", "httpd", "-f", "-p", f"127.0.0.1:{NGINX_PORT}", "-h", tmp]
    base_ms = median_start(lambda: start_server(httpd, NGINX_PORT, "/ping", tmp, "httpd"),
                           START_SAMPLES)

    plugin, _ = start_plugin(build, root, tmp)
    nginx = None
    try:
        # Idle: NVML is closed 5 s after the last request that needed it.
        time.sleep(IDLE_SECONDS)
        idle = memory(plugin.pid)

        files = {}
        for name, path in (("cli", "/docker/cli"), ("info.json", "/gpu/info/json")):
            status, body = http_get(PLUGIN_PORT, path)
            if status != 200:
                sys.exit(f"bench: {path} returned {status}: {body[:200]!r}")
            files[name] = body
        nginx = start_nginx(tmp, files)

        rows = []
        for name, path in (("cli", "/docker/cli"), ("info.json", "/gpu/info/json")):
            plugin_rps, _ = wrk(PLUGIN_PORT, path, seconds)
            nginx_rps, _ = wrk(NGINX_PORT, "/" + name, seconds)
            rows.append((path, plugin_rps, nginx_rps))
        _, status_p99 = wrk(PLUGIN_PORT, "/gpu/status/json", seconds, latency=True)
        load = memory(plugin.pid)
    finally:
        if nginx:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
        plugin.send_signal(signal.SIGTERM)
        plugin.wait(timeout=10)

    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "profile": profile, "start_ms": start_ms, "base_ms": base_ms, "rows": rows,
        "status_p99_ms": status_p99,
        "idle": idle, "load": load,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("profiles", nargs="*", default=["k80x2", "a100x8", "gpu64"])
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run as root (nvd-sim makes device nodes)")
    for tool in ("wrk", "nginx", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} not found; apt-get install wrk nginx-light util-linux")
    free_port_or_die(PLUGIN_PORT)
    free_port_or_die(NGINX_PORT)

    print("| profile | path | plugin req/s | nginx req/s | ratio |")
    print("| --- | --- | ---: | ---: | ---: |")
    results = [bench_profile(args.build, p, args.seconds) for p in args.profiles]
    for r in results:
        for path, plugin_rps, nginx_rps in r["rows"]:
            if plugin_rps is None or nginx_rps is None:
                continue
            print(f"| {r['profile']} | `{path}` | {plugin_rps:.0f} | {nginx_rps:.0f} | "
                  f"{plugin_rps / nginx_rps:.2f}x |")
    print()
    print("| profile | start to serving | busybox httpd's | `/gpu/status/json` p99 "
          "| private idle (dirty) | RSS idle | private after load (dirty) | RSS after load |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        p99 = f"{r['status_p99_ms']:.2f} ms" if r["status_p99_ms"] is not None else "n/a"
        print(f"| {r['profile']} | {r['start_ms']:.1f} ms | {r['base_ms']:.1f} ms | {p99} | "
              f"{r['idle'][0] / 1024:.1f} MB ({r['idle'][1] / 1024:.1f} MB) | "
              f"{r['idle'][2] / 1024:.1f} MB | "
              f"{r['load'][0] / 1024:.1f} MB ({r['load'][1] / 1024:.1f} MB) | "
              f"{r['load'][2] / 1024:.1f} MB |")


if __name__ == "__main__":
    main()
