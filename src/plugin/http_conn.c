/*
 * http_conn.c: the connections of a server. A connection reads into one
 * buffer that it keeps between requests and frames requests with
 * http_parse.c. It replies to them one at a time, in the order they
 * arrived, and logs every request that it or the handler rejects with a
 * 4xx status.
 *
 * What bounds the resources that clients hold: the connection limits of
 * connections.c, HTTP_HEAD_MAX plus PLUGIN_BODY_MAX of buffer per
 * connection, and the idle timeout and request deadlines of connections.c.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include "http_conn.h"
#include "http_parse.h"
#include "path_clean.h"
#include "reject_log.h"
#include "util.h"

/* Size of a connection's read buffer at its first request, in bytes; it grows for larger requests. */
#define READ_BUFFER_INITIAL 4096

/* Size a read buffer may grow to: a full head and body, and a byte to terminate the body. */
#define READ_BUFFER_MAX (HTTP_HEAD_MAX + PLUGIN_BODY_MAX + 1)

/* Maximum length of a method, path, query or reason quoted in a log line, in bytes. */
#define LOG_FIELD_MAX 200

/* One client connection. */
struct http_conn {
    struct conn entry;               /* in the server's table: deadline and client address */
    struct server *server;

    char *in;                        /* received bytes not yet consumed */
    size_t in_len, in_cap;

    bool framed;                     /* frame is a request whose body is being dropped */
    bool continue_sent;              /* "100 Continue" was sent for the request being read */
    bool request_started;            /* a byte of the next request arrived (CONN_READING) */
    struct http_frame frame;
    unsigned long long discard;      /* bytes of a too-large body still to drop */

    bool sending;                    /* a reply is being written */
    bool counted;                    /* the request is counted in server->in_flight */
    bool close_after;                /* close once the reply is written */
    bool draining;                   /* the reply is sent: unread input is dropped until EOF */
    size_t consumed;                 /* bytes of in that the request took */
    struct nvd_buf head;             /* the reply's status line and headers */
    struct reply reply;
    const char *body;                /* reply body to send, NULL for none (HEAD) */
    size_t body_len;
    size_t sent;                     /* bytes of head and body written */
};

/* The next step of a connection after process_input(). */
enum input_state {
    INPUT_NEED_MORE,
    INPUT_REPLY_READY,
    INPUT_CLOSE,
};

/* Return the http_conn that contains entry. */
static struct http_conn *conn_of(struct conn *entry)
{
    return (struct http_conn *)(void *)((char *)entry - offsetof(struct http_conn, entry));
}

/* Free conn and what it holds, after closing its socket. */
static void conn_destroy(struct http_conn *conn)
{
    struct server *server = conn->server;

    conn_close(&server->conns, &conn->entry);
    close(conn->entry.fd);
    if (conn->counted)
        atomic_fetch_sub(&server->in_flight, 1);
    reply_clear(&conn->reply);
    nvd_buf_free(&conn->head);
    free(conn->in);
    free(conn);
}

/* Arm conn for its next event: readable, or writable while a reply waits. False when that failed. */
static bool conn_arm(struct http_conn *conn, int op)
{
    struct epoll_event event = {
        .events = (conn->sending ? EPOLLOUT : EPOLLIN) | EPOLLRDHUP | EPOLLONESHOT,
        .data.ptr = conn,
    };

    if (epoll_ctl(conn->server->epoll_fd, op, conn->entry.fd, &event) < 0) {
        nvd_log_error("%s: failed to watch a connection%s%s: %s: closing it",
                      conn->server->config.name, conn->entry.client[0] ? " from " : "",
                      conn->entry.client, strerror(errno));
        return false;
    }
    return true;
}

void http_conn_accept(struct server *server, int fd, const struct sockaddr *addr)
{
    struct http_conn *conn = nvd_xcalloc(1, sizeof(*conn));

    conn->server = server;
    if (!conn_open(&server->conns, &conn->entry, fd, addr)) {
        close(fd);
        free(conn);
        return;
    }
    if (!conn_arm(conn, EPOLL_CTL_ADD))
        conn_destroy(conn);
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
        nvd_buf_puts(&line, http_reason_phrase(reply->status));
    }
    reject_log("%s", line.data);
    nvd_buf_free(&line);
}

/*
 * Prepare conn->reply for sending: the status line and headers in
 * conn->head, and the body unless the method is HEAD.
 */
static void prepare_reply(struct http_conn *conn, const char *method, bool keep_alive_1_0)
{
    struct reply *reply = &conn->reply;
    const char *body = reply->owned_body ? reply->owned_body : reply->static_body;
    size_t body_len = body ? reply->length : 0;

    conn->head.len = 0;
    nvd_buf_printf(&conn->head, "HTTP/1.1 %u %s\r\n", reply->status,
                   http_reason_phrase(reply->status));
    if (reply->content_type)
        nvd_buf_printf(&conn->head, "Content-Type: %s\r\n", reply->content_type);
    if (reply->location)
        nvd_buf_printf(&conn->head, "Location: %s\r\n", reply->location);
    nvd_buf_printf(&conn->head, "Content-Length: %zu\r\n", body_len);
    if (conn->close_after)
        nvd_buf_puts(&conn->head, "Connection: close\r\n");
    else if (keep_alive_1_0)
        nvd_buf_puts(&conn->head, "Connection: keep-alive\r\n");
    nvd_buf_puts(&conn->head, "\r\n");

    conn->body = strcmp(method, "HEAD") == 0 ? NULL : body;
    conn->body_len = conn->body ? body_len : 0;
    conn->sent = 0;
    conn->sending = true;
    conn_set_phase(&conn->server->conns, &conn->entry, CONN_SENDING);
}

/* Reply to a request that http_parse.c rejected, then close the connection. */
static enum input_state reject_invalid(struct http_conn *conn, const struct http_error *error)
{
    struct server *server = conn->server;
    const char *from = conn->entry.client[0] ? " from " : "";

    if (error->status == 0) {
        reject_log("Closed the connection%s%s to the %s: %s", from, conn->entry.client,
                   server->config.name, error->reason);
        return INPUT_CLOSE;
    }
    reject_log("Rejected a request%s%s on the %s: %u %s", from, conn->entry.client,
               server->config.name, error->status, error->reason);
    atomic_fetch_add(&server->in_flight, 1);
    conn->counted = true;
    conn->close_after = true;
    conn->consumed = conn->in_len;
    reply_owned(&conn->reply, error->status, CONTENT_TYPE_TEXT,
                nvd_xasprintf("%u %s: %s\n", error->status, http_reason_phrase(error->status),
                              error->reason));
    prepare_reply(conn, "GET", false);
    return INPUT_REPLY_READY;
}

/*
 * Reply to the framed request: reject a bad target, redirect a non-canonical
 * path, or dispatch it. The reply is left ready to send.
 */
static void handle_request(struct http_conn *conn)
{
    struct server *server = conn->server;
    struct http_frame *frame = &conn->frame;
    struct http_error error;
    struct request req = {
        .client = conn->entry.client,
        .method = frame->method,
        .path = "",
        .query = "",
        .accept = frame->accept,
        .body = "",
        .body_len = frame->body_len,
        .body_too_large = frame->body_too_large,
    };
    struct reply *reply = &conn->reply;

    atomic_fetch_add(&server->in_flight, 1);
    conn->counted = true;
    conn_set_phase(&server->conns, &conn->entry, CONN_HANDLING);
    conn->close_after = !frame->keep_alive || atomic_load(&server->stopping);

    /* The body ends where the next request may start, so that byte is saved while a NUL is there. */
    char saved = 0;
    if (frame->body_len > 0) {
        saved = frame->body[frame->body_len];
        frame->body[frame->body_len] = '\0';
        req.body = frame->body;
    }

    if (!http_split_target(frame->target, &req.path, &req.query, &error)) {
        req.path = frame->target;   /* for the log: the target up to its query */
        reply_error(reply, error.status, error.reason);
    }
    else if (server->config.clean_paths && !path_is_clean(req.path))
        reply_redirect(reply, req.method, req.path, req.query);
    else
        server->config.dispatch(server->plugin, &req, reply);

    if (frame->body_len > 0)
        frame->body[frame->body_len] = saved;

    if (reply->status == 0) {
        nvd_log_error("%s: no reply for %s %s: replying 500", server->config.name, req.method,
                      req.path);
        reply_error(reply, 500, "internal error: the request was not answered");
    }
    /* 500s are logged by their handlers with the cause, as "Error: ..." lines. */
    if (reply->status >= 400 && reply->status < 500)
        log_rejected(server, &req, reply);

    /* During shutdown, kept-alive connections end after their reply. */
    if (atomic_load(&server->stopping))
        conn->close_after = true;
    conn->consumed = frame->frame_len;
    conn->framed = false;
    prepare_reply(conn, req.method, !conn->close_after && frame->minor_version == 0);
}

/* Drop the received bytes of a too-large body, up to conn->discard. */
static void drop_body_bytes(struct http_conn *conn)
{
    size_t head_len = conn->frame.head_len;
    size_t extra = conn->in_len - head_len;
    size_t drop = extra < conn->discard ? extra : (size_t)conn->discard;

    memmove(conn->in + head_len, conn->in + head_len + drop, extra - drop);
    conn->in_len -= drop;
    conn->discard -= drop;
}

/*
 * Tell a client that waits with Expect: 100-continue to send its body. The
 * interim reply is 25 bytes, so only a full socket buffer cuts it short.
 * The client then sends the body after its own timeout.
 */
static void send_continue(struct http_conn *conn)
{
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";

    conn->continue_sent = true;
    if (send(conn->entry.fd, interim, sizeof(interim) - 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
        nvd_log_error("%s: failed to send 100 Continue%s%s: %s", conn->server->config.name,
                      conn->entry.client[0] ? " to " : "", conn->entry.client, strerror(errno));
}

/* Frame and serve the next request in the buffer, if it is complete. */
static enum input_state process_input(struct http_conn *conn)
{
    struct http_error error;

    if (!conn->framed) {
        if (conn->in_len == 0)
            return INPUT_NEED_MORE;
        enum http_parse_result result =
            http_parse_request(conn->in, conn->in_len, PLUGIN_BODY_MAX, &conn->frame, &error);
        if (result == HTTP_PARSE_INVALID)
            return reject_invalid(conn, &error);
        if (result == HTTP_PARSE_INCOMPLETE) {
            if (conn->frame.expect_continue && !conn->continue_sent)
                send_continue(conn);
            return INPUT_NEED_MORE;
        }
        conn->framed = true;
        conn->continue_sent = false;
        conn->discard = conn->frame.body_too_large ? conn->frame.content_length : 0;
    }
    if (conn->discard > 0) {
        drop_body_bytes(conn);
        if (conn->discard > 0)
            return INPUT_NEED_MORE;
    }
    handle_request(conn);
    return INPUT_REPLY_READY;
}

/* Grow conn's read buffer, keeping the framed request's pointers valid. */
static void grow_input(struct http_conn *conn)
{
    size_t cap = conn->in_cap ? conn->in_cap * 2 : READ_BUFFER_INITIAL;
    char *old = conn->in;

    if (cap > READ_BUFFER_MAX)
        cap = READ_BUFFER_MAX;
    conn->in = nvd_xrealloc(conn->in, cap);
    conn->in_cap = cap;
    if (conn->framed && old && conn->in != old) {
        struct http_frame *frame = &conn->frame;
        frame->method = conn->in + (frame->method - old);
        frame->target = conn->in + (frame->target - old);
        frame->body = conn->in + (frame->body - old);
        if (frame->accept)
            frame->accept = conn->in + (frame->accept - old);
    }
}

/*
 * Read what the socket has into conn's buffer. Returns 1 after a read, 0
 * when nothing is there yet, -1 when the client closed the connection or
 * the read failed.
 */
static int read_input(struct http_conn *conn)
{
    /* One byte stays free, for the NUL that handle_request() puts after the body. */
    if (conn->in_cap - conn->in_len <= 1 && conn->in_cap < READ_BUFFER_MAX)
        grow_input(conn);
    if (conn->in_cap - conn->in_len <= 1)
        return -1;      /* unreachable: http_parse.c rejects requests that do not fit */

    ssize_t n = recv(conn->entry.fd, conn->in + conn->in_len, conn->in_cap - conn->in_len - 1, 0);
    if (n > 0) {
        if (!conn->request_started) {
            conn->request_started = true;
            conn_set_phase(&conn->server->conns, &conn->entry, CONN_READING);
        }
        conn->in_len += (size_t)n;
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

/* Write what remains of the reply. Returns 1 once it is sent, 0 when the socket is full, -1 on failure. */
static int write_reply(struct http_conn *conn)
{
    while (conn->sent < conn->head.len + conn->body_len) {
        struct iovec iov[2];
        int count = 0;
        if (conn->sent < conn->head.len) {
            iov[count++] = (struct iovec){conn->head.data + conn->sent, conn->head.len - conn->sent};
            if (conn->body_len > 0)
                iov[count++] = (struct iovec){(void *)(uintptr_t)conn->body, conn->body_len};
        } else {
            size_t offset = conn->sent - conn->head.len;
            iov[count++] = (struct iovec){(void *)(uintptr_t)(conn->body + offset),
                                          conn->body_len - offset};
        }
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)count};
        ssize_t n = sendmsg(conn->entry.fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -1;
        conn->sent += (size_t)n;
    }
    return 1;
}

/* End a reply that was sent: drop its request from the buffer and wait for the next one. */
static void finish_reply(struct http_conn *conn)
{
    conn->sending = false;
    reply_clear(&conn->reply);
    conn->body = NULL;
    memmove(conn->in, conn->in + conn->consumed, conn->in_len - conn->consumed);
    conn->in_len -= conn->consumed;
    conn->consumed = 0;
    atomic_fetch_sub(&conn->server->in_flight, 1);
    conn->counted = false;
    conn->request_started = conn->in_len > 0;
    conn_set_phase(&conn->server->conns, &conn->entry,
                   conn->request_started ? CONN_READING : CONN_IDLE);
}

/*
 * Drop what the client still sends after the last reply, until it closes
 * the connection. Closing a socket with unread input would send a reset,
 * which can destroy the reply before the client reads it. Returns 0 to
 * wait for more input, -1 to close now.
 */
static int drain_input(struct http_conn *conn)
{
    if (conn->in_cap == 0)
        grow_input(conn);
    for (;;) {
        ssize_t n = recv(conn->entry.fd, conn->in, conn->in_cap, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 && errno == EAGAIN ? 0 : -1;
    }
}

/*
 * Start draining after a reply that closes the connection. The client may
 * still be sending (the rest of a rejected request), and it closes its end
 * once it has read the reply.
 */
static void start_draining(struct http_conn *conn)
{
    conn->sending = false;
    conn->draining = true;
    conn->in_len = 0;
    reply_clear(&conn->reply);
    conn->body = NULL;
    atomic_fetch_sub(&conn->server->in_flight, 1);
    conn->counted = false;
    shutdown(conn->entry.fd, SHUT_WR);
    /* A client that neither reads nor closes is dropped silently after CONN_IDLE_MS. */
    conn_set_phase(&conn->server->conns, &conn->entry, CONN_IDLE);
}

void http_conn_serve(struct http_conn *conn)
{
    for (;;) {
        if (conn->draining) {
            if (drain_input(conn) < 0 || !conn_arm(conn, EPOLL_CTL_MOD))
                break;
            return;
        }
        if (conn->sending) {
            int written = write_reply(conn);
            if (written < 0)
                break;
            if (written == 0) {
                if (!conn_arm(conn, EPOLL_CTL_MOD))
                    break;
                return;
            }
            if (conn->close_after) {
                start_draining(conn);
                continue;
            }
            finish_reply(conn);
        }

        enum input_state state = process_input(conn);
        if (state == INPUT_CLOSE)
            break;
        if (state == INPUT_REPLY_READY)
            continue;

        int got = read_input(conn);
        if (got < 0)
            break;
        if (got == 0) {
            if (!conn_arm(conn, EPOLL_CTL_MOD))
                break;
            return;
        }
    }
    conn_destroy(conn);
}

void http_conn_close_all(struct server *server)
{
    struct conn *entry;

    while ((entry = server->conns.head) != NULL)
        conn_destroy(conn_of(entry));
}
