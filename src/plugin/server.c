/*
 * server.c: one libmicrohttpd daemon per API. It reads a request and its
 * body (up to PLUGIN_BODY_MAX bytes), passes a struct request to the API's
 * dispatch function and sends the struct reply back, and logs every
 * request that it or the handler rejects with a 4xx status.
 *
 * What bounds the resources that clients hold: a connection limit per
 * server and per client address, SERVER_CONNECTION_MEMORY per connection
 * for the request head, the idle timeout, and the request deadlines of
 * connections.c.
 */
#include <errno.h>
#include <microhttpd.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "path_clean.h"
#include "reject_log.h"
#include "server.h"
#include "util.h"

/* Maximum number of threads that poll the connections of a server in thread-pool mode. */
#define SERVER_POOL_THREADS_MAX 4

/*
 * Return the thread pool size: one thread per CPU this process may run on,
 * up to SERVER_POOL_THREADS_MAX. Replies take microseconds of CPU, so more
 * threads than CPUs only add preemption delays to the latency tail.
 */
static unsigned pool_threads(void)
{
    cpu_set_t set;
    int cpus;

    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return SERVER_POOL_THREADS_MAX;
    cpus = CPU_COUNT(&set);
    if (cpus < 1)
        return 1;
    return cpus > SERVER_POOL_THREADS_MAX ? SERVER_POOL_THREADS_MAX : (unsigned)cpus;
}

/* Maximum length of a method, path, query or reason quoted in a log line, in bytes. */
#define LOG_FIELD_MAX 200

/* Per-request state, kept between libmicrohttpd's calls. */
struct request_context {
    struct server *server;
    struct conn *conn;       /* NULL if libmicrohttpd gave no connection context */
    bool headers_seen;
    bool body_too_large;
    struct nvd_buf body;
    char uri[];              /* raw request target, query string included */
};

/* Return the connection table entry of connection, or NULL. */
static struct conn *connection_entry(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return info ? info->socket_context : NULL;
}

/* Free a request's context and count it as completed. */
static void request_free(struct server *server, struct request_context *ctx)
{
    if (ctx->conn)
        ctx->conn->request = NULL;
    nvd_buf_free(&ctx->body);
    free(ctx);
    atomic_fetch_sub(&server->in_flight, 1);
}

/* Track a connection from its start to its end (MHD_OPTION_NOTIFY_CONNECTION). */
static void connection_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    struct server *server = cls;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd_info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr_info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!fd_info)
            return;
        *socket_context = conn_open(&server->conns, fd_info->connect_fd,
                                    addr_info ? addr_info->client_addr : NULL);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        struct conn *conn = *socket_context;
        /* libmicrohttpd 0.9.75 does not always report the end of a request it gave up on. */
        if (conn->request)
            request_free(server, conn->request);
        conn_close(&server->conns, conn);
        *socket_context = NULL;
    }
}

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
    ctx->conn = connection_entry(connection);
    ctx->headers_seen = false;
    ctx->body_too_large = false;
    ctx->body = (struct nvd_buf){0};
    memcpy(ctx->uri, uri, uri_len + 1);
    atomic_fetch_add(&server->in_flight, 1);
    if (ctx->conn) {
        /* A request that libmicrohttpd abandoned without telling ends here. */
        if (ctx->conn->request)
            request_free(server, ctx->conn->request);
        ctx->conn->request = ctx;
    }
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
    /* A kept-alive connection waits for its next request under a new deadline. */
    if (ctx->conn && code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        conn_set_phase(&server->conns, ctx->conn, CONN_READING);
    request_free(server, ctx);
    *req_cls = NULL;
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

/* Send reply on connection; what the reply owns is released. */
static enum MHD_Result send_reply(struct server *server, struct MHD_Connection *connection,
                                  struct reply *reply)
{
    struct MHD_Response *response;

    if (reply->owned_body) {
        response = MHD_create_response_from_buffer(reply->length, reply->owned_body,
                                                   MHD_RESPMEM_MUST_FREE);
        if (response)
            reply->owned_body = NULL;
    } else {
        const char *body = reply->static_body ? reply->static_body : "";
        response = MHD_create_response_from_buffer(reply->static_body ? reply->length : 0,
                                                   (void *)(uintptr_t)body,
                                                   MHD_RESPMEM_PERSISTENT);
    }
    if (!response) {
        reply_clear(reply);
        return MHD_NO;
    }
    if (reply->content_type)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
    if (reply->location)
        MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION, reply->location);
    /* During shutdown, kept-alive connections end after their reply. */
    if (atomic_load(&server->stopping))
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result queued = MHD_queue_response(connection, reply->status, response);
    MHD_destroy_response(response);
    reply_clear(reply);
    return queued;
}

/* Append s to b, cut at LOG_FIELD_MAX bytes with "..." after a cut. */
static void append_log_field(struct nvd_buf *b, const char *s)
{
    size_t len = strlen(s);

    nvd_buf_append(b, s, len > LOG_FIELD_MAX ? LOG_FIELD_MAX : len);
    if (len > LOG_FIELD_MAX)
        nvd_buf_puts(b, "...");
}

/*
 * Log a rejected request: method, path and query, client, status, and the
 * first line of a text reply, which carries the reason.
 */
static void log_rejected(const struct server *server, const struct request *req,
                         const struct reply *reply)
{
    struct nvd_buf line = {0};
    const char *body = reply->owned_body ? reply->owned_body : reply->static_body;

    nvd_buf_puts(&line, "Rejected ");
    append_log_field(&line, req->method);
    nvd_buf_puts(&line, " ");
    append_log_field(&line, req->path);
    if (req->query[0]) {
        nvd_buf_puts(&line, "?");
        append_log_field(&line, req->query);
    }
    if (req->client[0])
        nvd_buf_printf(&line, " from %s", req->client);
    nvd_buf_printf(&line, " on the %s: %u ", server->config.name, reply->status);

    /* Go's 404 body starts with the status already: "404 page not found". */
    char status[8];
    snprintf(status, sizeof(status), "%u ", reply->status);
    if (body && body[0] && reply->content_type &&
        strncmp(reply->content_type, "text/plain", 10) == 0) {
        if (strncmp(body, status, strlen(status)) == 0)
            body += strlen(status);
        size_t len = strcspn(body, "\n");
        nvd_buf_append(&line, body, len > LOG_FIELD_MAX ? LOG_FIELD_MAX : len);
        if (len > LOG_FIELD_MAX)
            nvd_buf_puts(&line, "...");
    } else {
        nvd_buf_puts(&line, MHD_get_reason_phrase_for(reply->status));
    }
    reject_log("%s", line.data);
    nvd_buf_free(&line);
}

/*
 * Set *path to the path of a request target. A path is its own path. An
 * absolute URI such as "http://localhost:3476/gpu/info", which HTTP/1.1
 * servers must accept, has the part after its authority, or "" when that
 * is empty. Any other target ("*", "gpu/info") is invalid, as for Go's server.
 */
static bool request_target_path(const char *target, const char **path)
{
    if (target[0] == '/') {
        *path = target;
        return true;
    }

    size_t scheme = strncasecmp(target, "http://", 7) == 0    ? 7
                    : strncasecmp(target, "https://", 8) == 0 ? 8
                                                              : 0;
    if (scheme == 0)
        return false;
    const char *slash = strchr(target + scheme, '/');
    *path = slash ? slash : "";
    return true;
}

/* Reply to a complete request: reject a bad target, redirect a non-canonical path, or dispatch it. */
static enum MHD_Result handle_request(struct server *server, struct request_context *ctx,
                                      struct MHD_Connection *connection, const char *url,
                                      const char *method)
{
    const char *query = strchr(ctx->uri, '?');
    struct request req = {
        .client = ctx->conn ? ctx->conn->client : "",
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

    if (ctx->conn)
        conn_set_phase(&server->conns, ctx->conn, CONN_HANDLING);

    if (!request_target_path(url, &req.path))
        reply_error(&reply, 400, "invalid request target: expected a path that starts with /");
    else if (server->config.clean_paths && !path_is_clean(req.path))
        reply_redirect(&reply, method, req.path, req.query);
    else
        server->config.dispatch(server->plugin, &req, &reply);

    if (reply.status == 0) {
        nvd_log_error("%s: no reply for %s %s: replying 500", server->config.name, method, url);
        reply_error(&reply, 500, "internal error: the request was not answered");
    }
    /* 500s are logged by their handlers with the cause, as "Error: ..." lines. */
    if (reply.status >= 400 && reply.status < 500)
        log_rejected(server, &req, &reply);

    if (ctx->conn)
        conn_set_phase(&server->conns, ctx->conn, CONN_SENDING);
    return send_reply(server, connection, &reply);
}

/*
 * libmicrohttpd's access handler: called once when the headers are in,
 * once per body chunk, and once more when the body is complete, which
 * sends the reply.
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
    return handle_request(server, ctx, connection, url, method);
}

/*
 * Log libmicrohttpd's own messages: requests it rejects (malformed, too
 * large), connections over a limit, failed accepts. Clients cause most of
 * them, so they share the rate limit of rejected requests.
 */
static void log_mhd_error(void *cls, const char *fmt, va_list ap)
{
    struct server *server = cls;
    char message[512];

    vsnprintf(message, sizeof(message), fmt, ap);
    message[strcspn(message, "\n")] = '\0';
    /* A rejection's message quotes the HTML body of the reply, which adds nothing to its status. */
    char *html = strstr(message, " ('<html>");
    if (html)
        strcpy(html, ")");
    reject_log_error("%s: %s", server->config.name, message);
}

int server_start(struct server *server, struct plugin *plugin, const struct server_config *config,
                 int listen_fd, nvd_error **err)
{
    server->config = *config;
    server->plugin = plugin;
    server->listen_fd = listen_fd;
    atomic_init(&server->in_flight, 0);
    atomic_init(&server->stopping, false);

    if (conn_table_start(&server->conns, config->name, err) < 0) {
        close(listen_fd);
        server->listen_fd = -1;
        return -1;
    }

    /*
     * In thread-pool mode a connection costs no thread, and idle threads
     * accept new clients while others run handlers. Thread-per-connection
     * lets a handler block for long (a volume build) without delaying other
     * connections. MHD_USE_ITC lets server_quiesce() stop the accept loop.
     * The logger must be the first option to receive every message.
     */
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    flags |= config->thread_pool ? MHD_USE_EPOLL : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    /* libmicrohttpd warns about a pool size of 0, so thread-per-connection passes none. */
    /* A pool of one is libmicrohttpd's internal thread, which takes no size. */
    unsigned threads = config->thread_pool ? pool_threads() : 0;
    struct MHD_OptionItem pool_options[] = {
        {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, (intptr_t)threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    server->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle_access, server,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd_error, server,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)listen_fd,
        MHD_OPTION_ARRAY, pool_options,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_CONNECTION_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT, config->connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->per_ip_limit,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_CONNECTION, connection_notify, server,
        MHD_OPTION_URI_LOG_CALLBACK, request_begin, server,
        MHD_OPTION_NOTIFY_COMPLETED, request_end, server,
        MHD_OPTION_END);
    if (!server->daemon) {
        conn_table_stop(&server->conns);
        close(listen_fd);
        server->listen_fd = -1;
        return nvd_error_set(err, NVD_ERR_SYSTEM,
                             "failed to start the HTTP server of the %s", config->name);
    }
    return 0;
}

void server_quiesce(struct server *server)
{
    atomic_store(&server->stopping, true);
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
    conn_table_stop(&server->conns);
}
