/*
 * main.c: nvidia-docker-plugin, the daemon. It serves Docker's volume
 * plugin protocol on <-s>/nvidia-docker.sock and the REST API on -l, logs
 * as nvidia-docker 1.0 did, and stops cleanly on SIGINT and SIGTERM.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "plugin.h"
#include "volume_state.h"
#include "reject_log.h"
#include "server.h"
#include "util.h"

/* How long requests in progress may run after SIGINT or SIGTERM. */
#define SHUTDOWN_GRACE_MS 5000
#define SHUTDOWN_POLL_MS 20

/*
 * Discover the driver at start. A failure is logged but not fatal: the
 * daemon keeps serving, and requests that need the driver retry.
 */
static void discover_at_start(struct plugin *plugin)
{
    cleanup_error nvd_error *err = NULL;
    struct plugin_host *ref = plugin_host_acquire(plugin, &err);

    if (!ref) {
        nvd_log_error("%s", err->msg);
        nvd_log("Serving without the driver: each request that needs it retries the discovery");
        return;
    }
    plugin_host_release(ref);
}

/*
 * The REST API: any local user may connect, so one client address may hold
 * at most 64 connections. 512 connections, with the plugin API's 64, stay
 * below the usual limit of 1024 open files. Replies take microseconds, so
 * one thread per CPU serves them.
 */
static const struct server_config rest_config = {
    .name = "remote API",
    .dispatch = rest_dispatch,
    .clean_paths = true,
    .threads = 0,
    .connection_limit = 512,
    .per_ip_limit = 64,
};

/*
 * The volume plugin API: only Docker (root) connects, and a volume build
 * may take seconds, so a few threads let other volume requests proceed.
 * dockerd opens one connection per volume call, so starting many
 * containers at once opens many: 256 lets 200 concurrent Create and Mount
 * calls all wait for the one build instead of being closed.
 */
static const struct server_config volume_config = {
    .name = "plugin API",
    .dispatch = volume_api_dispatch,
    .clean_paths = false,
    .threads = 4,
    .connection_limit = 256,
    .per_ip_limit = 0,
};

/*
 * Create the directories, write the CDI spec when --cdi-dir asks for it,
 * listen on both addresses and start both servers.
 */
static int start_servers(struct plugin *plugin, struct server *rest, struct server *volume,
                         nvd_error **err)
{
    const struct plugin_options *opts = &plugin->opts;

    nvd_log("Provisioning volumes at %s", opts->volumes_dir);
    if (nvd_mkdir_parents(opts->volumes_dir, 0755, err) < 0)
        return -1;
    volume_cleanup_at_start(plugin);
    if (plugin_cdi_start(plugin, err) < 0)
        return -1;
    if (nvd_mkdir_parents(opts->socket_dir, 0700, err) < 0)
        return -1;

    /* 1.0 logs both lines before listening, so a bind error follows them. */
    nvd_log("Serving plugin API at %s", opts->socket_dir);
    nvd_log("Serving remote API at %s", opts->listen_addr);

    int unix_fd = listen_unix(plugin->socket_path, err);
    if (unix_fd < 0)
        return -1;
    int tcp_fd = listen_tcp(opts->listen_addr, err);
    if (tcp_fd < 0) {
        close(unix_fd);
        unlink(plugin->socket_path);
        return -1;
    }
    if (server_start(volume, plugin, &volume_config, unix_fd, err) < 0) {
        close(tcp_fd);
        unlink(plugin->socket_path);
        return -1;
    }
    if (server_start(rest, plugin, &rest_config, tcp_fd, err) < 0) {
        server_stop(volume);
        unlink(plugin->socket_path);
        return -1;
    }
    return 0;
}

/*
 * Wait for SIGINT or SIGTERM, which the caller blocked in every thread.
 * SIGHUP closes the driver and drops the discovered GPUs, so that the next
 * request discovers them again (after a driver upgrade, for instance), and
 * makes the CDI spec thread look at its inputs again.
 */
static void wait_for_termination(struct plugin *plugin, const sigset_t *signals)
{
    for (;;) {
        int signo;
        if (sigwait(signals, &signo) != 0)
            continue;
        if (signo == SIGHUP) {
            nvd_log("Received SIGHUP: closing the driver; the next request discovers it again");
            plugin_driver_reset(plugin);
            plugin_cdi_kick(plugin);
            continue;
        }
        nvd_log("Received %s: shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM");
        return;
    }
}

/* Stop accepting, give requests in progress up to 5 s, then stop both servers. */
static void stop_servers(struct server *rest, struct server *volume)
{
    long long deadline = plugin_monotonic_ms() + SHUTDOWN_GRACE_MS;
    unsigned in_flight;

    server_quiesce(rest);
    server_quiesce(volume);
    while ((in_flight = server_in_flight(rest) + server_in_flight(volume)) > 0 &&
           plugin_monotonic_ms() < deadline) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = SHUTDOWN_POLL_MS * 1000000L};
        nanosleep(&pause, NULL);
    }

    /*
     * Stopping a server waits for its request threads, so it is skipped
     * when requests still run; exiting the process ends them.
     */
    if (in_flight > 0) {
        nvd_log_error("%u requests still running after %d s: exiting without them",
                      in_flight, SHUTDOWN_GRACE_MS / 1000);
        return;
    }
    server_stop(rest);
    server_stop(volume);
}

int main(int argc, char **argv)
{
    /* Static, because request threads may outlive main after a shutdown timeout. */
    static struct plugin_options opts;
    static struct plugin plugin;
    static struct server rest = {.listen_fd = -1};
    static struct server volume = {.listen_fd = -1};
    cleanup_error nvd_error *err = NULL;
    sigset_t signals;

    flags_set_defaults(&opts);
    if (flags_parse(&opts, argc, argv, stderr) < 0)
        return FLAGS_EXIT_USAGE;
    if (opts.show_version) {
        printf("NVIDIA Docker plugin: %s\n", NVD_VERSION);
        return 0;
    }
    nvd_log_init(argv[0]);
    /* A malformed -l must fail before anything is created on the host. */
    char host[256];
    char port[32];
    if (flags_check(&opts, &err) < 0 ||
        listen_split_address(opts.listen_addr, host, sizeof(host), port, sizeof(port), &err) < 0) {
        nvd_log_error("%s", err->msg);
        return 1;
    }

    /* Block the signals before any thread starts, so every thread inherits the mask. */
    signal(SIGPIPE, SIG_IGN);
    /* An inherited SIG_IGN would reap nvidia-modprobe before the daemon reads its status. */
    signal(SIGCHLD, SIG_DFL);
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    plugin_init(&plugin, &opts);
    if (snprintf(plugin.socket_path, sizeof(plugin.socket_path), "%s/%s", opts.socket_dir,
                 PLUGIN_SOCKET_NAME) >= (int)sizeof(plugin.socket_path)) {
        nvd_log_error("socket path %s/%s is too long (at most %zu bytes): choose a shorter -s directory",
                      opts.socket_dir, PLUGIN_SOCKET_NAME, sizeof(plugin.socket_path) - 1);
        plugin_destroy(&plugin);
        return 1;
    }

    if (plugin_driver_start_idle_close(&plugin, &err) < 0) {
        nvd_log_error("%s", err->msg);
        plugin_destroy(&plugin);
        return 1;
    }
    discover_at_start(&plugin);
    if (start_servers(&plugin, &rest, &volume, &err) < 0) {
        nvd_log_error("%s", err->msg);
        plugin_destroy(&plugin);
        return 1;
    }

    wait_for_termination(&plugin, &signals);
    stop_servers(&rest, &volume);
    plugin_cdi_stop(&plugin);
    if (unlink(plugin.socket_path) < 0 && errno != ENOENT)
        nvd_log_error("failed to remove the socket %s: %s", plugin.socket_path, strerror(errno));
    reject_log_flush();
    nvd_log("Successfully terminated");
    if (rest.started || volume.started)
        return 0;   /* request threads still run and use the state */
    plugin_destroy(&plugin);
    return 0;
}
