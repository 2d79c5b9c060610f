/*
 * server.h: the HTTP servers of the daemon, one per API, each on a listen
 * socket that listen.c creates.
 */
#ifndef NVD_PLUGIN_SERVER_H
#define NVD_PLUGIN_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "connections.h"
#include "plugin.h"

typedef void (*dispatch_fn)(struct plugin *plugin, const struct request *req,
                            struct reply *reply);

/* Maximum number of threads that serve the connections of a server. */
#define SERVER_THREADS_MAX 8

/* Settings of one API's server. */
struct server_config {
    const char *name;           /* "remote API" or "plugin API", for logs */
    dispatch_fn dispatch;
    bool clean_paths;           /* redirect non-canonical paths as Go's ServeMux did */
    /*
     * Threads that read, handle and reply to requests, at most
     * SERVER_THREADS_MAX; 0 for one per usable CPU, up to 4. A handler that
     * blocks holds one thread, and the others keep serving.
     */
    unsigned threads;
    unsigned connection_limit;  /* open connections at most; beyond it, new ones close at once */
    unsigned per_ip_limit;      /* open connections per client address at most; 0 for none */
};

/*
 * One HTTP server: a listen socket, its API, the threads that serve it and
 * the requests in progress. The threads share one epoll instance, in which
 * each connection is armed for one event at a time (EPOLLONESHOT), so a
 * connection has at most one thread serving it.
 */
struct server {
    struct server_config config;
    struct plugin *plugin;
    pthread_mutex_t listen_lock;   /* guards listen_fd against server_quiesce() */
    int listen_fd;                 /* -1 once quiesced or stopped */
    int epoll_fd;
    int stop_fd;                   /* eventfd that ends the threads once written */
    unsigned thread_count;
    pthread_t threads[SERVER_THREADS_MAX];
    bool started;                  /* threads run until server_stop() */
    atomic_uint in_flight;         /* requests received and not yet replied to */
    atomic_bool stopping;          /* shutting down: replies close their connection */
    struct conn_table conns;
};

/*
 * Serve config's API on listen_fd in background threads; the server owns
 * listen_fd, even on failure.
 */
int server_start(struct server *server, struct plugin *plugin, const struct server_config *config,
                 int listen_fd, nvd_error **err);

/* Stop accepting connections; requests in progress continue. */
void server_quiesce(struct server *server);

/* Return the number of requests received and not yet completed. */
unsigned server_in_flight(struct server *server);

/* Stop the threads and close every connection. Call it when no request is in flight. */
void server_stop(struct server *server);

/*
 * Listen on a Go-style TCP address: "host:port", ":port" for every
 * interface, "[v6 address]:port". "localhost" is 127.0.0.1. Returns the
 * socket, or -1 with err set.
 */
int listen_tcp(const char *address, nvd_error **err);

/*
 * Listen on the Unix socket at path, removing a stale socket there. A
 * socket that accepts connections belongs to another running daemon, so
 * it is an error, and so is a file that is not a socket.
 */
int listen_unix(const char *path, nvd_error **err);

/*
 * Split a Go listen address into host and port as Go's net.SplitHostPort
 * does: the port follows the last colon, and an IPv6 host is in brackets.
 */
int listen_split_address(const char *address, char *host, size_t host_size,
                         char *port, size_t port_size, nvd_error **err);

#endif /* NVD_PLUGIN_SERVER_H */
