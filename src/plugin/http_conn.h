/*
 * http_conn.h: one client connection of a server: it reads requests,
 * passes each to the API's dispatch function, and writes the replies, in
 * order, without blocking on the socket.
 */
#ifndef NVD_PLUGIN_HTTP_CONN_H
#define NVD_PLUGIN_HTTP_CONN_H

#include <sys/socket.h>

#include "server.h"

struct http_conn;

/*
 * Accept the connection fd from addr into server: register it with the
 * server's limits and its epoll instance. Closes fd when the connection
 * exceeds a limit or cannot be registered.
 */
void http_conn_accept(struct server *server, int fd, const struct sockaddr *addr);

/*
 * Serve conn after epoll reported it ready: read, reply to every complete
 * request, write, then arm it for its next event or close it. The calling
 * thread owns conn until it returns.
 */
void http_conn_serve(struct http_conn *conn);

/* Close every connection left in server's table; no thread may serve any of them. */
void http_conn_close_all(struct server *server);

#endif /* NVD_PLUGIN_HTTP_CONN_H */
