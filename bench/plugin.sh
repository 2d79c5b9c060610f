# bench/plugin.sh: sourced by the benchmarks that start nvidia-docker-plugin.
# bench_work NAME makes the temporary directory WORK; on exit the plugin
# whose pid is in PLUGIN_PID is stopped and WORK removed.

PLUGIN_PID=

# stop_plugin: stop the plugin of PLUGIN_PID, if one runs, and wait for it.
stop_plugin() {
    if [ -n "$PLUGIN_PID" ]; then
        kill -TERM "$PLUGIN_PID" 2>/dev/null || true
        wait "$PLUGIN_PID" 2>/dev/null || true
        PLUGIN_PID=
    fi
}

# bench_work NAME: set WORK to a new /tmp/nvd-bench-NAME.* directory.
bench_work() {
    WORK=$(mktemp -d "/tmp/nvd-bench-$1.XXXXXX")
    trap 'stop_plugin; rm -rf "$WORK"' EXIT
}
