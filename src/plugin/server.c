/*
 * server.c: one libmicrohttpd daemon per API. It reads a request and its
 * body (up to PLUGIN_BODY_MAX bytes), passes a struct request to the API's
 * dispatch function and sends the struct reply back. One thread serves
 * each connection, so a slow request (a volume build) delays no other.
 */
#include <errno.h>
#include <microhttpd.h>
#include <string.h>

#include "server.h"
#include "util.h"

/* Per-request state, kept between libmicrohttpd's calls. */
struct request_context {
    struct server *server;
    bool headers_seen;
    bool body_too_large;
    struct nvd_buf body;
    char uri[];              /* raw request target, query string included */
};

/*
 * Start a request: called with the raw request target before libmicrohttpd
 * splits off and decodes the query, which this daemon decodes itself with
 * Go's rules. The context returned becomes the request's *req_cls.
 */
static void *request_begin(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct server *server = cls;
    size_t uri_len = strlen(uri);
    struct request_context *ctx = nvd_xmalloc(sizeof(*ctx) + uri_len + 1);

    ctx->server = server;
    ctx->headers_seen = false;
    ctx->body_too_large = false;
    ctx->body = (struct nvd_buf){0};
    memcpy(ctx->uri, uri, uri_len + 1);
    atomic_fetch_add(&server->in_flight, 1);
    return ctx;
}

/* Release a request's context once libmicrohttpd is done with it. */
static void request_end(void *cls, struct MHD_Connection *connection, void **req_cls,
                        enum MHD_RequestTerminationCode code)
{
    struct server *server = cls;
    struct request_context *ctx = *req_cls;

    if (!ctx)
        return;
    nvd_buf_free(&ctx->body);
    free(ctx);
    *req_cls = NULL;
    atomic_fetch_sub(&server->in_flight, 1);
}

/* Add a chunk of the request body, dropping what exceeds PLUGIN_BODY_MAX. */
static void append_body(struct request_context *ctx, const char *data, size_t size)
{
    if (ctx->body_too_large)
        return;
    if (ctx->body.len + size > PLUGIN_BODY_MAX) {
        ctx->body_too_large = true;
        nvd_buf_free(&ctx->body);
        return;
    }
    nvd_buf_append(&ctx->body, data, size);
}

/* Send reply on connection; the reply's owned body passes to libmicrohttpd. */
static enum MHD_Result send_reply(struct MHD_Connection *connection, struct reply *reply)
{
    struct MHD_Response *response;

    if (reply->owned_body) {
        response = MHD_create_response_from_buffer(reply->length, reply->owned_body,
                                                   MHD_RESPMEM_MUST_FREE);
        if (!response)
            free(reply->owned_body);
        reply->owned_body = NULL;
    } else {
        const char *body = reply->static_body ? reply->static_body : "";
        response = MHD_create_response_from_buffer(reply->static_body ? reply->length : 0,
                                                   (void *)(uintptr_t)body,
                                                   MHD_RESPMEM_PERSISTENT);
    }
    if (!response)
        return MHD_NO;
    if (reply->content_type)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
    enum MHD_Result queued = MHD_queue_response(connection, reply->status, response);
    MHD_destroy_response(response);
    return queued;
}

/*
 * libmicrohttpd's access handler: called once when the headers are in,
 * once per body chunk, and once more when the body is complete, at which
 * point the request is dispatched.
 */
static enum MHD_Result handle_access(void *cls, struct MHD_Connection *connection,
                                     const char *url, const char *method,
                                     const char *version, const char *upload_data,
                                     size_t *upload_data_size, void **req_cls)
{
    struct server *server = cls;
    struct request_context *ctx = *req_cls;

    if (!ctx)
        return MHD_NO;
    if (!ctx->headers_seen) {
        ctx->headers_seen = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        append_body(ctx, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }

    const char *query = strchr(ctx->uri, '?');
    struct request req = {
        .method = method,
        .path = url,
        .query = query ? query + 1 : "",
        .accept = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                              MHD_HTTP_HEADER_ACCEPT),
        .body = ctx->body.data ? ctx->body.data : "",
        .body_len = ctx->body.len,
        .body_too_large = ctx->body_too_large,
    };
    struct reply reply = {0};

    server->dispatch(server->plugin, &req, &reply);
    if (reply.status == 0) {
        nvd_log_error("%s: no reply for %s %s: replying 500", server->name, method, url);
        reply_error(&reply, 500, "internal error: the request was not answered");
    }
    return send_reply(connection, &reply);
}

/* Log libmicrohttpd's own errors (bad requests, failed accepts) as daemon errors. */
static void log_mhd_error(void *cls, const char *fmt, va_list ap)
{
    struct server *server = cls;
    char message[512];

    vsnprintf(message, sizeof(message), fmt, ap);
    message[strcspn(message, "\n")] = '\0';
    nvd_log_error("%s: %s", server->name, message);
}

int server_start(struct server *server, struct plugin *plugin, const char *name,
                 int listen_fd, dispatch_fn dispatch, nvd_error **err)
{
    server->name = name;
    server->plugin = plugin;
    server->dispatch = dispatch;
    server->listen_fd = listen_fd;
    atomic_init(&server->in_flight, 0);

    /*
     * MHD_USE_ITC lets server_quiesce() stop the accept loop. The logger
     * must be the first option to receive every message. The timeout and
     * the limit bound what idle or abusive clients can hold.
     */
    server->daemon = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
            MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
        0, NULL, NULL, handle_access, server,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd_error, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_CONNECTION_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_CONNECTION_LIMIT,
        MHD_OPTION_URI_LOG_CALLBACK, request_begin, server,
        MHD_OPTION_NOTIFY_COMPLETED, request_end, server,
        MHD_OPTION_END);
    if (!server->daemon) {
        close(listen_fd);
        server->listen_fd = -1;
        return nvd_error_set(err, NVD_ERR_SYSTEM,
                             "failed to start the HTTP server of the %s", name);
    }
    return 0;
}

void server_quiesce(struct server *server)
{
    if (!server->daemon || server->listen_fd < 0)
        return;
    MHD_socket fd = MHD_quiesce_daemon(server->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    server->listen_fd = -1;
}

unsigned server_in_flight(struct server *server)
{
    return atomic_load(&server->in_flight);
}

void server_stop(struct server *server)
{
    if (!server->daemon)
        return;
    /* libmicrohttpd closes the listen socket unless server_quiesce() took it. */
    MHD_stop_daemon(server->daemon);
    server->daemon = NULL;
    server->listen_fd = -1;
}
