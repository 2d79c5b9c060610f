/*
 * plugin.h: the state of nvidia-docker-plugin shared by its two APIs, and
 * the request, reply and route types that their handlers use. Handlers
 * never see libmicrohttpd: server.c turns a reply into an HTTP response.
 */
#ifndef NVD_PLUGIN_H
#define NVD_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/un.h>

#include "flags.h"
#include "nvd.h"

/* Name of the Unix socket in the -s directory; Docker names the plugin after it. */
#define PLUGIN_SOCKET_NAME "nvidia-docker.sock"

/* Maximum size of a request body, in bytes. Docker's volume requests are far smaller. */
#define PLUGIN_BODY_MAX (64 * 1024)

#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"
#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_PLUGIN "application/vnd.docker.plugins.v1+json"

/*
 * A discovered host, shared by the requests that use it. The plugin keeps
 * one reference while the host is current, and each request takes one more.
 */
struct plugin_host {
    struct nvd_host *host;
    atomic_uint refs;
};

/* The daemon's state, shared by every request thread. */
struct plugin {
    struct plugin_options opts;
    char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

    pthread_mutex_t host_lock;      /* guards host and serializes discovery */
    struct plugin_host *host;       /* NULL before discovery succeeds and after SIGHUP */

    pthread_mutex_t volume_lock;    /* serializes volume creation and removal */
};

/* One HTTP request, complete with its body. */
struct request {
    const char *method;
    const char *path;            /* decoded, without the query string */
    const char *query;           /* raw text after "?", or "" */
    const char *accept;          /* Accept header, or NULL */
    const char *body;            /* NUL-terminated; "" when there is none */
    size_t body_len;
    bool body_too_large;         /* the body exceeded PLUGIN_BODY_MAX */
};

/* One HTTP reply. The body is owned_body (freed after sending) or static_body. */
struct reply {
    unsigned status;
    const char *content_type;    /* NULL for none */
    char *owned_body;
    const char *static_body;
    size_t length;
};

typedef void (*route_handler)(struct plugin *plugin, const struct request *req,
                              struct reply *reply);

/* One row of an API's routing table. */
struct route {
    const char *method;
    const char *path;
    route_handler handler;
};

/* Initialize the state with a copy of opts, whose strings must outlive it. */
void plugin_init(struct plugin *plugin, const struct plugin_options *opts);
void plugin_destroy(struct plugin *plugin);

/* --- host_cache.c: the discovered driver and GPUs */

/*
 * Return the current host with a new reference, running discovery first
 * when no discovery has succeeded yet. The caller releases the reference
 * with plugin_host_release().
 */
struct plugin_host *plugin_host_acquire(struct plugin *plugin, nvd_error **err);
void plugin_host_release(struct plugin_host *ref);

/* Drop the current host, so that the next request discovers the driver again. */
void plugin_host_forget(struct plugin *plugin);

static inline void plugin_host_release_ptr(struct plugin_host **ref)
{
    if (*ref)
        plugin_host_release(*ref);
}
#define cleanup_host __attribute__((cleanup(plugin_host_release_ptr)))

/* --- reply.c: reply builders */

/* Set reply to status with a body that outlives it, such as a literal. */
void reply_static(struct reply *reply, unsigned status, const char *content_type,
                  const char *body);
/* Set reply to status with body, which the reply now owns. */
void reply_owned(struct reply *reply, unsigned status, const char *content_type,
                 char *body);
/* Set reply to a text/plain "<message>\n", as Go's http.Error writes it. */
void reply_error(struct reply *reply, unsigned status, const char *message);
/* Set reply to Go's 404 reply, "404 page not found\n". */
void reply_not_found(struct reply *reply);

/* Find the route for method and path in routes[0..count), or NULL. */
const struct route *route_find(const struct route *routes, size_t count,
                               const char *method, const char *path);

/* --- rest.c and volume_api.c: the two APIs */

/* Handle a request of the REST API on the TCP address (-l). */
void rest_dispatch(struct plugin *plugin, const struct request *req, struct reply *reply);

/* Handle a request of Docker's volume plugin protocol on the Unix socket. */
void volume_api_dispatch(struct plugin *plugin, const struct request *req,
                         struct reply *reply);

#endif /* NVD_PLUGIN_H */
