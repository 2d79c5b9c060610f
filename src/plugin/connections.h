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
 * connection meets CONN_IDLE_MS first and closes without a log line.
 */
#define CONN_DEADLINE_MS 6000

/* Time a connection may wait for the first byte of a request, in ms, as 1.0's Go servers did. */
#define CONN_IDLE_MS 5000

/* What a connection is doing, which decides its deadline. */
enum conn_phase {
    CONN_IDLE,          /* no byte of the next request yet: closed silently after CONN_IDLE_MS */
    CONN_READING,       /* part of a request received: deadline set */
    CONN_HANDLING,      /* a handler runs, or the connection is being closed: none */
    CONN_SENDING,       /* sending the reply: deadline set */
};

/* One open connection (connections.c), part of the server's connection state. */
struct conn {
    struct conn *prev, *next;
    int fd;
    enum conn_phase phase;
    long long phase_start_ms;           /* monotonic time when the request or reply began */
    long long due_ms;                   /* monotonic deadline unless CONN_HANDLING */
    bool has_ip;                        /* ip is set (TCP) */
    unsigned char ip[16];               /* client address, IPv4 as IPv4-mapped IPv6 */
    char client[INET6_ADDRSTRLEN + 8];  /* "address:port", "[address]:port" or "" (Unix) */
};

/* The open connections of a server and the thread that enforces their deadlines. */
struct conn_table {
    const char *server_name;
    unsigned limit;                     /* open connections at most */
    unsigned per_ip_limit;              /* open connections per client address at most; 0 for none */
    pthread_mutex_t lock;               /* guards the fields below */
    unsigned count;
    pthread_cond_t wake;
    struct conn *head;
    long long next_wake_ms;             /* when the watcher wakes next, LLONG_MAX for never */
    bool stopping;
    bool started;
    pthread_t thread;
};

/* Start the watcher of a table that admits limit connections, and per_ip_limit per address. */
int conn_table_start(struct conn_table *table, const char *server_name, unsigned limit,
                     unsigned per_ip_limit, nvd_error **err);
/* Stop the watcher. Call it after the connections are closed. */
void conn_table_stop(struct conn_table *table);
/*
 * Add conn, a new connection on socket fd from addr (NULL for none), in
 * CONN_IDLE. Returns false, and logs why, when the connection would exceed
 * the table's limits; the caller then closes fd.
 */
bool conn_open(struct conn_table *table, struct conn *conn, int fd, const struct sockaddr *addr);
/* Remove conn from the table; the caller closes its socket afterwards. */
void conn_close(struct conn_table *table, struct conn *conn);
void conn_set_phase(struct conn_table *table, struct conn *conn, enum conn_phase phase);

#endif /* NVD_PLUGIN_CONNECTIONS_H */
