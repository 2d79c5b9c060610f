/*
 * http.c: the HTTP/1.1 client of http.h. Sockets are non-blocking and
 * every wait is a poll() bounded by the request's deadline. The response
 * parser is a pure function over the bytes read so far, so the reader
 * simply parses again after each read until the response is complete.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "quote.h"
#include "util.h"

/* Limits on what a server may send: header block and whole response. */
#define HTTP_HEAD_MAX (64u << 10)
#define HTTP_RESPONSE_MAX (8u << 20)

int64_t http_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events or deadline_ms passes. On failure set
 * errno (ETIMEDOUT at the deadline) and return -1. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int64_t left = deadline_ms - http_now_ms();
        if (left <= 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        struct pollfd pfd = { .fd = fd, .events = events };
        int n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* Connect the non-blocking socket fd to addr before the deadline. On
 * failure set errno and return -1. */
static int connect_wait(int fd, const struct sockaddr *addr, socklen_t len,
                        int64_t deadline_ms)
{
    if (connect(fd, addr, len) == 0)
        return 0;
    if (errno != EINPROGRESS)
        return -1;
    if (wait_fd(fd, POLLOUT, deadline_ms) < 0)
        return -1;

    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) < 0)
        return -1;
    if (so_error != 0) {
        errno = so_error;
        return -1;
    }
    return 0;
}

/* Connect to the Unix socket at path. */
static int connect_unix(const char *path, int64_t deadline_ms, nvd_error **err)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    if (strlen(path) >= sizeof(addr.sun_path)) {
        nvd_error_set(err, NVD_ERR_INVALID,
                      "connecting to unix socket %s failed: the path is longer than %zu bytes",
                      path, sizeof(addr.sun_path) - 1);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        nvd_error_sys(err, errno, "creating a socket for %s failed", path);
        return -1;
    }
    if (connect_wait(fd, (const struct sockaddr *)&addr, sizeof(addr), deadline_ms) < 0) {
        int e = errno;
        close(fd);
        nvd_error_sys(err, e, "connecting to unix socket %s failed", path);
        return -1;
    }
    return fd;
}

/*
 * Connect to the literal address addr (IPv4 or IPv6) and the numeric port
 * without the resolver. Return the socket, or -1 with errno set, with
 * errno EINVAL when addr or port is not literal.
 */
static int connect_literal(const char *addr, const char *port, int64_t deadline_ms)
{
    struct sockaddr_in in4 = { .sin_family = AF_INET };
    struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
    const struct sockaddr *sa;
    socklen_t sa_len;
    char *end = NULL;
    unsigned long number = strtoul(port, &end, 10);

    if (port[0] < '0' || port[0] > '9' || *end != '\0' || number > 65535) {
        errno = EINVAL;
        return -1;
    }
    if (inet_pton(AF_INET, addr, &in4.sin_addr) == 1) {
        in4.sin_port = htons((uint16_t)number);
        sa = (const struct sockaddr *)&in4;
        sa_len = sizeof(in4);
    } else if (inet_pton(AF_INET6, addr, &in6.sin6_addr) == 1) {
        in6.sin6_port = htons((uint16_t)number);
        sa = (const struct sockaddr *)&in6;
        sa_len = sizeof(in6);
    } else {
        errno = EINVAL;
        return -1;
    }

    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (connect_wait(fd, sa, sa_len, deadline_ms) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/*
 * Connect to host:port, trying each address the resolver returns. A
 * literal address skips the resolver, and so does "localhost" while
 * 127.0.0.1 accepts: resolving it reads four files of /etc, which costs
 * more than the request itself. When 127.0.0.1 refuses (a plugin that
 * listens on [::1] only), the resolver's addresses are tried.
 */
static int connect_tcp(const char *host, const char *port, int64_t deadline_ms,
                       nvd_error **err)
{
    bool localhost = strcasecmp(host, "localhost") == 0;
    int literal_fd = connect_literal(localhost ? "127.0.0.1" : host, port, deadline_ms);

    if (literal_fd >= 0)
        return literal_fd;
    if (errno != EINVAL && !(localhost && (errno == ECONNREFUSED || errno == EADDRNOTAVAIL ||
                                           errno == ENETUNREACH))) {
        nvd_error_sys(err, errno, "connecting to %s:%s failed", host, port);
        return -1;
    }

    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);

    if (rc != 0) {
        nvd_error_set(err, NVD_ERR_NOT_FOUND, "resolving %s failed: %s", host,
                      rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
        return -1;
    }

    int last_errno = ECONNREFUSED;
    for (struct addrinfo *ai = list; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                        ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        if (connect_wait(fd, ai->ai_addr, ai->ai_addrlen, deadline_ms) == 0) {
            freeaddrinfo(list);
            return fd;
        }
        last_errno = errno;
        close(fd);
        if (last_errno == ETIMEDOUT)
            break;
    }
    freeaddrinfo(list);
    nvd_error_sys(err, last_errno, "connecting to %s:%s failed", host, port);
    return -1;
}

int http_connect(const struct http_endpoint *ep, int64_t deadline_ms, nvd_error **err)
{
    if (ep->unix_path)
        return connect_unix(ep->unix_path, deadline_ms, err);
    return connect_tcp(ep->host, ep->port, deadline_ms, err);
}

/* Write all of data to fd before the deadline. */
static int write_all(int fd, const char *data, size_t len, int64_t deadline_ms,
                     nvd_error **err)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline_ms) == 0)
            continue;
        return nvd_error_sys(err, errno, "sending the HTTP request failed");
    }
    return 0;
}

int http_roundtrip(int fd, const struct http_request *req, int64_t deadline_ms,
                   struct http_response *resp, nvd_error **err)
{
    struct nvd_buf out = { 0 };

    memset(resp, 0, sizeof(*resp));
    nvd_buf_printf(&out, "%s %s HTTP/1.1\r\nHost: %s\r\n"
                   "User-Agent: nvidia-docker/%s\r\n%s",
                   req->method, req->target, req->host_header, NVD_VERSION,
                   req->keep_alive ? "" : "Connection: close\r\n");
    if (req->content_type)
        nvd_buf_printf(&out, "Content-Type: %s\r\n", req->content_type);
    if (req->body || strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0)
        nvd_buf_printf(&out, "Content-Length: %zu\r\n", req->body_len);
    nvd_buf_puts(&out, "\r\n");
    if (req->body_len > 0)
        nvd_buf_append(&out, req->body, req->body_len);

    int rc = write_all(fd, out.data, out.len, deadline_ms, err);
    nvd_buf_free(&out);
    if (rc < 0)
        return -1;

    /* Read until the parser has a whole response. Each read requests at
     * least as many bytes as are buffered, so a large body that arrives
     * quickly is parsed again only a few times. */
    struct nvd_buf in = { 0 };
    for (;;) {
        size_t want = in.len > 65536 ? in.len : 65536;
        if (in.cap < in.len + want + 1) {
            in.data = nvd_xrealloc(in.data, in.len + want + 1);
            in.cap = in.len + want + 1;
        }

        ssize_t n = read(fd, in.data + in.len, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN && wait_fd(fd, POLLIN, deadline_ms) == 0)
                continue;
            nvd_error_sys(err, errno, "reading the HTTP response failed");
            break;
        }
        if (n == 0 && in.len == 0) {
            /* Not a bad reply but none: the server went away. */
            nvd_error_sys(err, ECONNRESET, "the server closed the connection without a reply");
            break;
        }
        in.len += (size_t)n;
        rc = http_parse_response(in.data, in.len, n == 0, resp, err);
        if (rc != 0)
            break;
        if (in.len > HTTP_RESPONSE_MAX) {
            nvd_error_set(err, NVD_ERR_INVALID,
                          "reading the HTTP response failed: it is larger than %u bytes",
                          HTTP_RESPONSE_MAX);
            rc = -1;
            break;
        }
    }
    nvd_buf_free(&in);
    return rc > 0 ? 0 : -1;
}

/* ----------------------------------------------------------------- parser */

/* Find the line starting at *p: set *line and *len (without the line
 * break, CRLF or a bare LF) and move *p past it. Return false when no
 * line break is left before end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));

    if (!nl)
        return false;
    *line = *p;
    *len = (size_t)(nl - *p);
    if (*len > 0 && nl[-1] == '\r')
        (*len)--;
    *p = nl + 1;
    return true;
}

static bool is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Parse "HTTP/1.x NNN reason" into resp. */
static int parse_status_line(const char *line, size_t len, struct http_response *resp,
                             nvd_error **err)
{
    const char *d = line + 9;

    if (len < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' ||
        line[8] != ' ' || d[0] < '1' || d[0] > '5' || d[1] < '0' || d[1] > '9' ||
        d[2] < '0' || d[2] > '9' || (len > 12 && line[12] != ' ')) {
        cleanup_free char *shown = nvd_quote_bytes(line, len);
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid HTTP status line \"%s\"", shown);
    }
    resp->status = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
    resp->reason = len > 13 ? nvd_xasprintf("%.*s", (int)(len - 13), line + 13)
                            : nvd_xstrdup("");
    return 0;
}

/* Parse the header line "Name: value" into resp. */
static int parse_header_line(const char *line, size_t len, struct http_response *resp,
                             nvd_error **err)
{
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon ? (size_t)(colon - line) : 0;

    for (size_t i = 0; i < name_len; i++) {
        if (!is_token_char(line[i])) {
            name_len = 0;
            break;
        }
    }
    if (name_len == 0) {
        cleanup_free char *shown = nvd_quote_bytes(line, len);
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid HTTP header line \"%s\"", shown);
    }

    const char *v = colon + 1;
    const char *v_end = line + len;
    while (v < v_end && (*v == ' ' || *v == '\t'))
        v++;
    while (v_end > v && (v_end[-1] == ' ' || v_end[-1] == '\t'))
        v_end--;

    resp->headers = nvd_xrealloc(resp->headers, (resp->header_count + 1) * sizeof(*resp->headers));
    resp->headers[resp->header_count].name = nvd_xasprintf("%.*s", (int)name_len, line);
    resp->headers[resp->header_count].value = nvd_xasprintf("%.*s", (int)(v_end - v), v);
    resp->header_count++;
    return 0;
}

/* Parse a status line and headers from *p, moving *p past the blank line
 * that ends them. Returns 1, 0 (incomplete) or -1 like the public parser. */
static int parse_head(const char **p, const char *end, bool at_eof,
                      struct http_response *resp, nvd_error **err)
{
    const char *start = *p;
    const char *line;
    size_t len;
    bool first = true;

    for (;;) {
        if (!next_line(p, end, &line, &len)) {
            if (at_eof)
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "the server closed the connection before the end of the response headers");
            if ((size_t)(end - start) > HTTP_HEAD_MAX)
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "the HTTP response headers are larger than %u bytes",
                                     HTTP_HEAD_MAX);
            return 0;
        }
        if (first) {
            if (parse_status_line(line, len, resp, err) < 0)
                return -1;
            first = false;
            continue;
        }
        if (len == 0)
            return 1;
        if (line[0] == ' ' || line[0] == '\t') {
            cleanup_free char *shown = nvd_quote_bytes(line, len);
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid HTTP header line \"%s\": folded lines are not supported",
                                 shown);
        }
        if (parse_header_line(line, len, resp, err) < 0)
            return -1;
    }
}

/* Release the status line and headers of resp, keeping nothing. */
static void clear_head(struct http_response *resp)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    free(resp->reason);
    resp->headers = NULL;
    resp->header_count = 0;
    resp->reason = NULL;
}

/* Fail with the message about a Content-Length value and why it is
 * wrong (empty, or ": too large"). */
static int bad_content_length(const char *value, const char *why, nvd_error **err)
{
    cleanup_free char *shown = nvd_quote_str(value);

    return nvd_error_set(err, NVD_ERR_INVALID, "invalid Content-Length \"%s\"%s", shown, why);
}

/* Parse one Content-Length value list ("12" or "12, 12") into *length,
 * which contains the value of earlier headers or SIZE_MAX. */
static int parse_content_length(const char *value, size_t *length, nvd_error **err)
{
    const char *p = value;

    for (;;) {
        size_t n = 0;
        const char *digits = p;

        while (*p >= '0' && *p <= '9') {
            if (n > (SIZE_MAX - 9) / 10)
                return bad_content_length(value, ": too large", err);
            n = n * 10 + (size_t)(*p++ - '0');
        }
        if (p == digits)
            return bad_content_length(value, "", err);
        if (*length != SIZE_MAX && *length != n)
            return bad_content_length(value, ": the values differ", err);
        *length = n;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return 0;
        if (*p != ',')
            return bad_content_length(value, "", err);
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
    }
}

/* Return true when the last coding of a Transfer-Encoding value is chunked. */
static bool ends_with_chunked(const char *value)
{
    const char *last = strrchr(value, ',');
    last = last ? last + 1 : value;
    while (*last == ' ' || *last == '\t')
        last++;
    return strncasecmp(last, "chunked", 7) == 0 &&
           (last[7] == '\0' || last[7] == ' ' || last[7] == '\t');
}

/* Decode a chunked body from p. Returns 1, 0 (incomplete) or -1. */
static int parse_chunked(const char *p, const char *end, bool at_eof,
                         struct http_response *resp, nvd_error **err)
{
    struct nvd_buf body = { 0 };
    const char *line;
    size_t len;

    for (;;) {
        if (!next_line(&p, end, &line, &len))
            goto incomplete;

        size_t size = 0;
        size_t digits = 0;
        while (digits < len) {
            char c = line[digits];
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (v < 0)
                break;
            if (digits == 15)
                goto bad_size;
            size = size * 16 + (size_t)v;
            digits++;
        }
        size_t rest = digits;
        while (rest < len && (line[rest] == ' ' || line[rest] == '\t'))
            rest++;
        if (digits == 0 || (rest < len && line[rest] != ';'))
            goto bad_size;

        if (size == 0)
            break;
        if (body.len + size > HTTP_RESPONSE_MAX) {
            nvd_buf_free(&body);
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "the HTTP response body is larger than %u bytes",
                                 HTTP_RESPONSE_MAX);
        }
        if ((size_t)(end - p) < size + 1)
            goto incomplete;
        nvd_buf_append(&body, p, size);
        p += size;
        if (*p == '\r' && end - p >= 2 && p[1] == '\n')
            p += 2;
        else if (*p == '\n')
            p += 1;
        else if (*p == '\r' && end - p < 2)
            goto incomplete;
        else {
            nvd_buf_free(&body);
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "invalid chunked HTTP body: chunk data is not followed by a line break");
        }
    }

    /* Trailer fields, ignored, up to the blank line. */
    do {
        if (!next_line(&p, end, &line, &len))
            goto incomplete;
    } while (len > 0);

    resp->body_len = body.len;
    resp->body = nvd_buf_steal(&body);
    return 1;

bad_size:
    nvd_buf_free(&body);
    {
        cleanup_free char *shown = nvd_quote_bytes(line, len);
        return nvd_error_set(err, NVD_ERR_INVALID, "invalid chunk size line \"%s\"", shown);
    }
incomplete:
    nvd_buf_free(&body);
    if (at_eof)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "the server closed the connection in the middle of a chunked body");
    return 0;
}

/* Parse the body that starts at p, as the headers in resp frame it. */
static int parse_body(const char *p, const char *end, bool at_eof,
                      struct http_response *resp, nvd_error **err)
{
    size_t available = (size_t)(end - p);

    if (resp->status == 204 || resp->status == 304) {
        resp->body = nvd_xstrdup("");
        return 1;
    }

    bool chunked = false;
    size_t length = SIZE_MAX;
    for (size_t i = 0; i < resp->header_count; i++) {
        const struct http_header *h = &resp->headers[i];
        if (strcasecmp(h->name, "Transfer-Encoding") == 0) {
            if (!ends_with_chunked(h->value))
                return nvd_error_set(err, NVD_ERR_INVALID,
                                     "unsupported HTTP Transfer-Encoding \"%s\"", h->value);
            chunked = true;
        } else if (strcasecmp(h->name, "Content-Length") == 0) {
            if (parse_content_length(h->value, &length, err) < 0)
                return -1;
        }
    }

    /* Transfer-Encoding overrides Content-Length (RFC 9112, section 6.3). */
    if (chunked)
        return parse_chunked(p, end, at_eof, resp, err);

    if (length == SIZE_MAX) {
        if (!at_eof)
            return 0;
        length = available;
    }
    if (length > HTTP_RESPONSE_MAX)
        return nvd_error_set(err, NVD_ERR_INVALID,
                             "the HTTP response body is larger than %u bytes", HTTP_RESPONSE_MAX);
    if (available < length) {
        if (at_eof)
            return nvd_error_set(err, NVD_ERR_INVALID,
                                 "the server closed the connection after %zu of %zu body bytes",
                                 available, length);
        return 0;
    }
    resp->body = nvd_xmalloc(length + 1);
    memcpy(resp->body, p, length);
    resp->body[length] = '\0';
    resp->body_len = length;
    return 1;
}

int http_parse_response(const char *data, size_t len, bool at_eof,
                        struct http_response *resp, nvd_error **err)
{
    const char *p = data;
    const char *end = data + len;
    int rc;

    memset(resp, 0, sizeof(*resp));
    for (;;) {
        rc = parse_head(&p, end, at_eof, resp, err);
        if (rc <= 0)
            break;
        /* Skip interim responses such as "100 Continue". */
        if (resp->status >= 200 || resp->status == 101) {
            rc = parse_body(p, end, at_eof, resp, err);
            break;
        }
        clear_head(resp);
    }
    if (rc <= 0)
        http_response_clear(resp);
    return rc;
}

const char *http_header_get(const struct http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

void http_response_clear(struct http_response *resp)
{
    clear_head(resp);
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

char *http_escape(const char *s, bool in_path)
{
    static const char hex[] = "0123456789ABCDEF";
    struct nvd_buf b = { 0 };

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p) ||
                    (in_path && strchr("/:@!$&'()*+,;=", *p));
        if (keep) {
            nvd_buf_append(&b, (const char *)p, 1);
        } else {
            char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
            nvd_buf_append(&b, esc, 3);
        }
    }
    return nvd_buf_steal(&b);
}
