/*
 * connections.h: the open connections of a server, each with its client
 * address for the logs and a deadline for its request and its reply.
 */
#ifndef NVD_PLUGIN_CONNECTIONS_H
#define NVD_PLUGIN_CONNECTIONS_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "nvd.h"

/*
 * Time a client has to send a whole request, and to read a whole reply, in
 * ms: 1.0's 5 s read and write timeouts, plus 1 s so that a silent
 * connection meets SERVER_CONNECTION_TIMEOUT first and closes without a
 * log line.
 */
#define CONN_DEADLINE_MS 6000

/* What a connection is doing, which decides its deadline. */
enum conn_phase {
    CONN_READING,       /* waiting for a request: deadline set */
    CONN_HANDLING,      /* a handler runs, or the connection is being closed: none */
    CONN_SENDING,       /* sending the reply: deadline set */
};

/* One open connection (connections.c). */
struct conn {
    struct conn *prev, *next;
    int fd;
    enum conn_phase phase;
    long long due_ms;                   /* monotonic deadline unless CONN_HANDLING */
    char client[INET6_ADDRSTRLEN + 8];  /* "address:port", "[address]:port" or "" (Unix) */
    void *request;                      /* the request in progress (server.c); only
                                           libmicrohttpd's callbacks of this connection use it */
};

/* The open connections of a server and the thread that enforces their deadlines. */
struct conn_table {
    const char *server_name;
    pthread_mutex_t lock;               /* guards the fields below */
    pthread_cond_t wake;
    struct conn *head;
    long long next_wake_ms;             /* when the watcher wakes next, LLONG_MAX for never */
    bool stopping;
    bool started;
    pthread_t thread;
};

int conn_table_start(struct conn_table *table, const char *server_name, nvd_error **err);
/* Stop the watcher. Call it after the connections are closed. */
void conn_table_stop(struct conn_table *table);
/* Add a new connection on socket fd from addr (NULL for none), in CONN_READING. */
struct conn *conn_open(struct conn_table *table, int fd, const struct sockaddr *addr);
void conn_close(struct conn_table *table, struct conn *conn);
void conn_set_phase(struct conn_table *table, struct conn *conn, enum conn_phase phase);

#endif /* NVD_PLUGIN_CONNECTIONS_H */
