/*
 * server.c: one HTTP server per API. A few threads share an epoll
 * instance that watches the listen socket and every connection. Each
 * event goes to one thread, which accepts new connections or serves a
 * connection (http_conn.c) until it waits for its client again. A handler
 * that blocks (a volume build, an NVML call) holds one thread while the
 * others keep serving.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>

#include "http_conn.h"
#include "reject_log.h"
#include "server.h"
#include "util.h"

/* Number of threads per server when its configuration leaves it to the CPUs. */
#define SERVER_POOL_THREADS_MAX 4

/* Maximum number of connections one thread accepts before it serves others. */
#define ACCEPT_BATCH 64

/* Pause after accept() failed for lack of descriptors or memory, in ms, so the loop does not spin. */
#define ACCEPT_RETRY_MS 10

/*
 * Return the number of threads for the CPUs: one per CPU this process may
 * run on, up to SERVER_POOL_THREADS_MAX. Replies take microseconds of CPU,
 * so more threads than CPUs only add preemption delays to the latency tail.
 */
static unsigned pool_threads(void)
{
    cpu_set_t set;
    int cpus;

    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return SERVER_POOL_THREADS_MAX;
    cpus = CPU_COUNT(&set);
    if (cpus < 1)
        return 1;
    return cpus > SERVER_POOL_THREADS_MAX ? SERVER_POOL_THREADS_MAX : (unsigned)cpus;
}

/* Arm the listen socket for its next event; called with listen_lock held. */
static void arm_listen_locked(struct server *server)
{
    struct epoll_event event = {
        .events = EPOLLIN | EPOLLONESHOT,
        .data.ptr = &server->listen_fd,
    };

    if (epoll_ctl(server->epoll_fd, EPOLL_CTL_MOD, server->listen_fd, &event) < 0)
        nvd_log_error("%s: failed to watch the listen socket: %s: no new connections are "
                      "accepted; restart the daemon", server->config.name, strerror(errno));
}

/* Accept the pending connections, up to ACCEPT_BATCH, then watch the listen socket again. */
static void accept_connections(struct server *server)
{
    pthread_mutex_lock(&server->listen_lock);
    for (int i = 0; server->listen_fd >= 0 && i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage addr;
        socklen_t addr_len = sizeof(addr);
        int fd = accept4(server->listen_fd, (struct sockaddr *)&addr, &addr_len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            http_conn_accept(server, fd, (const struct sockaddr *)&addr);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            reject_log_error("%s: failed to accept a connection: %s: raise the open file limit "
                             "or wait for clients to disconnect", server->config.name,
                             strerror(errno));
            struct timespec pause = {.tv_sec = 0, .tv_nsec = ACCEPT_RETRY_MS * 1000000L};
            nanosleep(&pause, NULL);
        } else if (errno != EAGAIN) {
            reject_log_error("%s: failed to accept a connection: %s", server->config.name,
                             strerror(errno));
        }
        break;
    }
    if (server->listen_fd >= 0)
        arm_listen_locked(server);
    pthread_mutex_unlock(&server->listen_lock);
}

/* Serve events until server_stop() writes stop_fd. */
static void *server_thread(void *arg)
{
    struct server *server = arg;
    struct epoll_event event;

    for (;;) {
        /* One event at a time, so a blocking handler delays no other connection. */
        int n = epoll_wait(server->epoll_fd, &event, 1, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            nvd_log_error("%s: epoll_wait failed: %s: a server thread ends", server->config.name,
                          strerror(errno));
            return NULL;
        }
        if (n == 0)
            continue;
        if (event.data.ptr == &server->stop_fd)
            return NULL;
        if (event.data.ptr == &server->listen_fd)
            accept_connections(server);
        else
            http_conn_serve(event.data.ptr);
    }
}

/* Create the epoll instance and the stop eventfd, and watch them with the listen socket. */
static int create_poller(struct server *server, nvd_error **err)
{
    struct epoll_event stop_event = {.events = EPOLLIN, .data.ptr = &server->stop_fd};
    struct epoll_event listen_event = {
        .events = EPOLLIN | EPOLLONESHOT,
        .data.ptr = &server->listen_fd,
    };

    server->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (server->epoll_fd < 0)
        return nvd_error_sys(err, errno, "failed to create the epoll instance of the %s",
                             server->config.name);
    server->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (server->stop_fd < 0)
        return nvd_error_sys(err, errno, "failed to create the stop eventfd of the %s",
                             server->config.name);
    /* The stop event is level-triggered and never read, so it wakes every thread. */
    if (epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->stop_fd, &stop_event) < 0 ||
        epoll_ctl(server->epoll_fd, EPOLL_CTL_ADD, server->listen_fd, &listen_event) < 0)
        return nvd_error_sys(err, errno, "failed to watch the sockets of the %s",
                             server->config.name);
    return 0;
}

/* Wake every thread of server to end, and wait for them. */
static void join_threads(struct server *server)
{
    uint64_t one = 1;

    if (server->thread_count > 0 && write(server->stop_fd, &one, sizeof(one)) < 0)
        nvd_log_error("%s: failed to wake the server threads: %s", server->config.name,
                      strerror(errno));
    for (unsigned i = 0; i < server->thread_count; i++)
        pthread_join(server->threads[i], NULL);
    server->thread_count = 0;
}

/* Close what server_start() opened, with no thread left running. */
static void release_server(struct server *server)
{
    http_conn_close_all(server);
    conn_table_stop(&server->conns);
    if (server->listen_fd >= 0)
        close(server->listen_fd);
    server->listen_fd = -1;
    if (server->epoll_fd >= 0)
        close(server->epoll_fd);
    server->epoll_fd = -1;
    if (server->stop_fd >= 0)
        close(server->stop_fd);
    server->stop_fd = -1;
    pthread_mutex_destroy(&server->listen_lock);
}

int server_start(struct server *server, struct plugin *plugin, const struct server_config *config,
                 int listen_fd, nvd_error **err)
{
    server->config = *config;
    server->plugin = plugin;
    server->listen_fd = listen_fd;
    server->epoll_fd = -1;
    server->stop_fd = -1;
    server->thread_count = 0;
    server->started = false;
    atomic_init(&server->in_flight, 0);
    atomic_init(&server->stopping, false);
    pthread_mutex_init(&server->listen_lock, NULL);

    if (conn_table_start(&server->conns, config->name, config->connection_limit,
                         config->per_ip_limit, err) < 0) {
        close(listen_fd);
        server->listen_fd = -1;
        pthread_mutex_destroy(&server->listen_lock);
        return -1;
    }
    if (create_poller(server, err) < 0) {
        release_server(server);
        return -1;
    }

    unsigned threads = config->threads ? config->threads : pool_threads();
    if (threads > SERVER_THREADS_MAX)
        threads = SERVER_THREADS_MAX;
    for (unsigned i = 0; i < threads; i++) {
        int rc = pthread_create(&server->threads[i], NULL, server_thread, server);
        if (rc != 0) {
            join_threads(server);
            release_server(server);
            return nvd_error_sys(err, rc, "failed to start the threads of the %s", config->name);
        }
        server->thread_count++;
    }
    server->started = true;
    return 0;
}

void server_quiesce(struct server *server)
{
    atomic_store(&server->stopping, true);
    if (!server->started)
        return;
    pthread_mutex_lock(&server->listen_lock);
    if (server->listen_fd >= 0) {
        epoll_ctl(server->epoll_fd, EPOLL_CTL_DEL, server->listen_fd, NULL);
        close(server->listen_fd);
        server->listen_fd = -1;
    }
    pthread_mutex_unlock(&server->listen_lock);
}

unsigned server_in_flight(struct server *server)
{
    return atomic_load(&server->in_flight);
}

void server_stop(struct server *server)
{
    if (!server->started)
        return;
    join_threads(server);
    release_server(server);
    server->started = false;
}
