/*
 * connections.c: the open connections of a server, each with its client
 * address for the logs and a deadline. As Go's read and write timeouts did
 * for nvidia-docker 1.0, a watcher thread closes a connection that waits
 * CONN_IDLE_MS for a request, without a log line. It logs and closes one
 * whose request does not arrive, or whose reply is not sent, within
 * CONN_DEADLINE_MS. The time a handler takes does not count.
 *
 * The watcher closes a connection with shutdown(2), which makes the
 * server's event loop end it. It does so only while the connection is in
 * the table, under the table's lock: the server removes a connection
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
        if (conn->phase == CONN_IDLE) {
            shutdown(conn->fd, SHUT_RDWR);
            conn->phase = CONN_HANDLING;
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
        long long next = expire_locked(table, plugin_monotonic_ms());
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

int conn_table_start(struct conn_table *table, const char *server_name, unsigned limit,
                     unsigned per_ip_limit, nvd_error **err)
{
    pthread_condattr_t attr;

    memset(table, 0, sizeof(*table));
    table->server_name = server_name;
    table->limit = limit;
    table->per_ip_limit = per_ip_limit;
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

/*
 * Set the phase of conn and its deadline. A request's deadline counts from
 * the end of the previous reply, so CONN_READING after CONN_IDLE keeps the
 * start. Called with the table's lock held.
 */
static void set_phase_locked(struct conn_table *table, struct conn *conn, enum conn_phase phase)
{
    long long now = plugin_monotonic_ms();

    if (!(phase == CONN_READING && conn->phase == CONN_IDLE))
        conn->phase_start_ms = now;
    conn->phase = phase;
    if (phase == CONN_HANDLING)
        return;
    conn->due_ms = conn->phase_start_ms + (phase == CONN_IDLE ? CONN_IDLE_MS : CONN_DEADLINE_MS);
    if (conn->due_ms < table->next_wake_ms)
        pthread_cond_signal(&table->wake);
}

/* Store the client address of addr in conn: IP and port for the log, and the IP for the limits. */
static void set_client(struct conn *conn, const struct sockaddr *addr)
{
    format_client(addr, conn->client, sizeof(conn->client));
    conn->has_ip = false;
    if (!addr)
        return;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)addr;
        memset(conn->ip, 0, 10);
        memset(conn->ip + 10, 0xff, 2);
        memcpy(conn->ip + 12, &in->sin_addr, 4);
        conn->has_ip = true;
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)addr;
        memcpy(conn->ip, &in6->sin6_addr, 16);
        conn->has_ip = true;
    }
}

/* Return the number of connections in table from the address of conn. Called with the lock held. */
static unsigned count_from_ip_locked(const struct conn_table *table, const struct conn *conn)
{
    unsigned count = 0;

    for (const struct conn *other = table->head; other; other = other->next) {
        if (other->has_ip && memcmp(other->ip, conn->ip, sizeof(conn->ip)) == 0)
            count++;
    }
    return count;
}

bool conn_open(struct conn_table *table, struct conn *conn, int fd, const struct sockaddr *addr)
{
    conn->fd = fd;
    conn->phase = CONN_IDLE;
    set_client(conn, addr);

    pthread_mutex_lock(&table->lock);
    if (table->count >= table->limit) {
        pthread_mutex_unlock(&table->lock);
        reject_log("Closed a new connection%s%s to the %s: %u connections are open, the maximum",
                   conn->client[0] ? " from " : "", conn->client, table->server_name,
                   table->limit);
        return false;
    }
    if (table->per_ip_limit > 0 && conn->has_ip &&
        count_from_ip_locked(table, conn) >= table->per_ip_limit) {
        pthread_mutex_unlock(&table->lock);
        reject_log("Closed a new connection from %s to the %s: %u connections from that "
                   "address are open, the maximum", conn->client, table->server_name,
                   table->per_ip_limit);
        return false;
    }
    conn->prev = NULL;
    conn->next = table->head;
    if (table->head)
        table->head->prev = conn;
    table->head = conn;
    table->count++;
    set_phase_locked(table, conn, CONN_IDLE);
    pthread_mutex_unlock(&table->lock);
    return true;
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
    table->count--;
    pthread_mutex_unlock(&table->lock);
}

void conn_set_phase(struct conn_table *table, struct conn *conn, enum conn_phase phase)
{
    pthread_mutex_lock(&table->lock);
    set_phase_locked(table, conn, phase);
    pthread_mutex_unlock(&table->lock);
}
