/*
 * server.h: the HTTP servers of the daemon (libmicrohttpd), one per API,
 * each on a listen socket that listen.c creates.
 */
#ifndef NVD_PLUGIN_SERVER_H
#define NVD_PLUGIN_SERVER_H

#include <stdatomic.h>

#include "plugin.h"

struct MHD_Daemon;

typedef void (*dispatch_fn)(struct plugin *plugin, const struct request *req,
                            struct reply *reply);

/* One HTTP server: a listen socket, its API and the requests in progress. */
struct server {
    const char *name;              /* "remote API" or "plugin API", for logs */
    struct plugin *plugin;
    dispatch_fn dispatch;
    int listen_fd;                 /* -1 once quiesced or stopped */
    struct MHD_Daemon *daemon;
    atomic_uint in_flight;         /* requests received and not yet completed */
};

/* Seconds a connection may stay idle before the server closes it. */
#define SERVER_CONNECTION_TIMEOUT 5
/* Maximum number of open connections per server. Each has its own thread. */
#define SERVER_CONNECTION_LIMIT 64

/* Serve dispatch on listen_fd in background threads; the server owns listen_fd, even on failure. */
int server_start(struct server *server, struct plugin *plugin, const char *name,
                 int listen_fd, dispatch_fn dispatch, nvd_error **err);

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
