/*
 * server.h: the HTTP servers of the daemon (libmicrohttpd), one per API,
 * each on a listen socket that listen.c creates.
 */
#ifndef NVD_PLUGIN_SERVER_H
#define NVD_PLUGIN_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "connections.h"
#include "plugin.h"

struct MHD_Daemon;

typedef void (*dispatch_fn)(struct plugin *plugin, const struct request *req,
                            struct reply *reply);

/* Seconds a connection may stay silent before libmicrohttpd closes it, as 1.0's Go servers did. */
#define SERVER_CONNECTION_TIMEOUT 5

/*
 * Memory for one connection's request line, headers and reply headers,
 * in bytes; a larger request gets 414 or 431. Real requests take a few
 * hundred bytes. The body is not part of it (PLUGIN_BODY_MAX).
 * NOTE: with libmicrohttpd 0.9.75, a request head within about 400 bytes
 * below this size leaves no room for the reply's headers: the connection
 * closes without a reply (measured at 16000 to 16400 bytes).
 */
#define SERVER_CONNECTION_MEMORY (16 * 1024)

/* Settings of one API's server. */
struct server_config {
    const char *name;           /* "remote API" or "plugin API", for logs */
    dispatch_fn dispatch;
    bool clean_paths;           /* redirect non-canonical paths as Go's ServeMux did */
    bool thread_pool;           /* a few threads poll all connections, instead of one thread each */
    unsigned connection_limit;  /* open connections at most; beyond it, new clients wait in
                                   the listen queue (thread pool) or are closed at once */
    unsigned per_ip_limit;      /* open connections per client address at most; 0 for none */
};

/* One HTTP server: a listen socket, its API and the requests in progress. */
struct server {
    struct server_config config;
    struct plugin *plugin;
    int listen_fd;                 /* -1 once quiesced or stopped */
    struct MHD_Daemon *daemon;
    atomic_uint in_flight;         /* requests received and not yet completed */
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

/* Close every connection and stop the threads. */
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
