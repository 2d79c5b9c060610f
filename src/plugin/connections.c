/*
 * connections.c: the open connections of a server, each with its client
 * address for the logs and a deadline. libmicrohttpd only closes a
 * connection that stays silent for SERVER_CONNECTION_TIMEOUT, so a client
 * that sends a byte every few seconds could hold a connection forever. As
 * Go's read and write timeouts did for nvidia-docker 1.0, a watcher thread
 * closes a connection whose request does not arrive, or whose reply is not
 * sent, within CONN_DEADLINE_MS. The time a handler takes does
 * not count.
 *
 * The watcher closes a connection with shutdown(2), which makes
 * libmicrohttpd end it. It does so only while the connection is in the
 * table, under the table's lock: libmicrohttpd removes a connection
 * (conn_close) before it closes the socket, so the descriptor cannot have
 * been reused.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>

#include "connections.h"
#include "reject_log.h"
#include "server.h"
#include "util.h"

static long long monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Write "address:port" (IPv4) or "[address]:port" (IPv6) of addr into out, or "" for other families. */
static void format_client(const struct sockaddr *addr, char *out, size_t size)
{
    char host[INET6_ADDRSTRLEN];

    out[0] = '\0';
    if (!addr)
        return;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;
        if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host)))
            snprintf(out, size, "%s:%u", host, ntohs(in->sin_port));
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;
        if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host)))
            snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
    }
}

/* Close the connections past their deadline, and return the next deadline or LLONG_MAX. */
static long long expire_locked(struct conn_table *table, long long now)
{
    long long next = LLONG_MAX;

    for (struct conn *conn = table->head; conn; conn = conn->next) {
        if (conn->phase == CONN_HANDLING)
            continue;
        if (conn->due_ms > now) {
            if (conn->due_ms < next)
                next = conn->due_ms;
            continue;
        }
        reject_log("Closed the connection%s%s to the %s: %s within %d s",
                   conn->client[0] ? " from " : "", conn->client, table->server_name,
                   conn->phase == CONN_SENDING ? "the client did not read the reply"
                                               : "the request was not complete",
                   CONN_DEADLINE_MS / 1000);
        shutdown(conn->fd, SHUT_RDWR);
        conn->phase = CONN_HANDLING;    /* being closed, so no deadline any more */
    }
    return next;
}

static void *watcher_main(void *arg)
{
    struct conn_table *table = arg;

    pthread_mutex_lock(&table->lock);
    while (!table->stopping) {
        long long next = expire_locked(table, monotonic_ms());
        table->next_wake_ms = next;
        if (next == LLONG_MAX) {
            pthread_cond_wait(&table->wake, &table->lock);
            continue;
        }
        struct timespec deadline = {
            .tv_sec = (time_t)(next / 1000),
            .tv_nsec = (long)(next % 1000) * 1000000L,
        };
        pthread_cond_timedwait(&table->wake, &table->lock, &deadline);
    }
    pthread_mutex_unlock(&table->lock);
    return NULL;
}

int conn_table_start(struct conn_table *table, const char *server_name, nvd_error **err)
{
    pthread_condattr_t attr;

    memset(table, 0, sizeof(*table));
    table->server_name = server_name;
    table->next_wake_ms = LLONG_MAX;
    pthread_mutex_init(&table->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&table->wake, &attr);
    pthread_condattr_destroy(&attr);

    int rc = pthread_create(&table->thread, NULL, watcher_main, table);
    if (rc != 0) {
        pthread_cond_destroy(&table->wake);
        pthread_mutex_destroy(&table->lock);
        return nvd_error_sys(err, rc, "failed to start the connection watcher of the %s",
                             server_name);
    }
    table->started = true;
    return 0;
}

void conn_table_stop(struct conn_table *table)
{
    if (!table->started)
        return;
    pthread_mutex_lock(&table->lock);
    table->stopping = true;
    pthread_cond_signal(&table->wake);
    pthread_mutex_unlock(&table->lock);
    pthread_join(table->thread, NULL);
    table->started = false;
    pthread_cond_destroy(&table->wake);
    pthread_mutex_destroy(&table->lock);
}

/* Set the phase of conn and its deadline. Called with the table's lock held. */
static void set_phase_locked(struct conn_table *table, struct conn *conn, enum conn_phase phase)
{
    conn->phase = phase;
    if (phase == CONN_HANDLING)
        return;
    conn->due_ms = monotonic_ms() + CONN_DEADLINE_MS;
    if (conn->due_ms < table->next_wake_ms)
        pthread_cond_signal(&table->wake);
}

struct conn *conn_open(struct conn_table *table, int fd, const struct sockaddr *addr)
{
    struct conn *conn = nvd_xcalloc(1, sizeof(*conn));

    conn->fd = fd;
    format_client(addr, conn->client, sizeof(conn->client));
    pthread_mutex_lock(&table->lock);
    conn->next = table->head;
    if (table->head)
        table->head->prev = conn;
    table->head = conn;
    set_phase_locked(table, conn, CONN_READING);
    pthread_mutex_unlock(&table->lock);
    return conn;
}

void conn_close(struct conn_table *table, struct conn *conn)
{
    pthread_mutex_lock(&table->lock);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        table->head = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    pthread_mutex_unlock(&table->lock);
    free(conn);
}

void conn_set_phase(struct conn_table *table, struct conn *conn, enum conn_phase phase)
{
    pthread_mutex_lock(&table->lock);
    set_phase_locked(table, conn, phase);
    pthread_mutex_unlock(&table->lock);
}
