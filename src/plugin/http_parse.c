/*
 * http_parse.c: the request parser of http_parse.h. Like Go's net/http
 * server, which served nvidia-docker 1.0, it accepts bare LF line ends,
 * rejects obsolete line folding, and requires exactly one Host header in
 * HTTP/1.1. A request line that is not "METHOD SP target SP HTTP/x.y"
 * closes the connection without a reply.
 */
#include <string.h>
#include <strings.h>

#include "http_parse.h"
#include "query.h"

/* Return whether c may appear in a token, such as a method or a header name. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Return whether c is a control character: never valid in a request target or header value. */
static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Return whether buf[start..end) equals the token word, ignoring case. */
static bool token_equals(const char *buf, size_t start, size_t end, const char *word)
{
    size_t len = strlen(word);

    return end - start == len && strncasecmp(buf + start, word, len) == 0;
}

/* Return whether the comma-separated list buf[start..end) contains token, ignoring case. */
static bool list_contains(const char *buf, size_t start, size_t end, const char *token)
{
    while (start < end) {
        size_t item_end = start;
        while (item_end < end && buf[item_end] != ',')
            item_end++;
        size_t a = start, b = item_end;
        while (a < b && (buf[a] == ' ' || buf[a] == '\t'))
            a++;
        while (b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t'))
            b--;
        if (token_equals(buf, a, b, token))
            return true;
        start = item_end + 1;
    }
    return false;
}

/* Set *error and return HTTP_PARSE_INVALID. */
static enum http_parse_result invalid(struct http_error *error, unsigned status, const char *reason)
{
    error->status = status;
    error->reason = reason;
    return HTTP_PARSE_INVALID;
}

/*
 * Return the length of the head that starts at buf[start]: up to and
 * including the empty line that ends it, or 0 when that line is missing.
 */
static size_t find_head_end(const char *buf, size_t len, size_t start)
{
    const char *p = buf + start;
    const char *end = buf + len;

    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        p++;
        if (p < end && *p == '\n')
            return (size_t)(p + 1 - buf);
        if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
            return (size_t)(p + 2 - buf);
    }
    return 0;
}

/*
 * Return the end of the line that starts at buf[start], before its CR LF
 * or LF, and set *next to the start of the next line. The line ends before
 * buf[limit], as every line of a complete head does.
 */
static size_t line_end(const char *buf, size_t start, size_t limit, size_t *next)
{
    const char *nl = memchr(buf + start, '\n', limit - start);
    size_t end = nl ? (size_t)(nl - buf) : limit;

    *next = end + 1;
    if (end > start && buf[end - 1] == '\r')
        end--;
    return end;
}

/* Offsets of the request line's parts within the buffer. */
struct request_line {
    size_t method_end;
    size_t target_start, target_end;
    unsigned minor_version;
};

/* Parse the request line buf[start..end). */
static enum http_parse_result parse_request_line(const char *buf, size_t start, size_t end,
                                                 struct request_line *line,
                                                 struct http_error *error)
{
    size_t i = start;

    while (i < end && is_tchar((unsigned char)buf[i]))
        i++;
    if (i == start || i >= end || buf[i] != ' ')
        return invalid(error, 0, "malformed request line: invalid method");
    line->method_end = i;

    line->target_start = ++i;
    while (i < end && buf[i] != ' ' && !is_ctl((unsigned char)buf[i]))
        i++;
    if (i == line->target_start || i >= end || buf[i] != ' ')
        return invalid(error, 0, "malformed request line: invalid request target");
    line->target_end = i++;

    const char *version = buf + i;
    if (end - i != 8 || strncmp(version, "HTTP/", 5) != 0 || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return invalid(error, 400, "malformed HTTP version");
    if (version[5] != '1')
        return invalid(error, 505, "unsupported HTTP version: expected HTTP/1.0 or HTTP/1.1");
    line->minor_version = version[7] == '0' ? 0 : 1;
    return HTTP_PARSE_COMPLETE;
}

/* Parse a Content-Length value buf[start..end) into *length; false when it is no decimal number. */
static bool parse_length(const char *buf, size_t start, size_t end, unsigned long long *length)
{
    unsigned long long value = 0;

    if (start == end || end - start > 18)
        return false;
    for (size_t i = start; i < end; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return false;
        value = value * 10 + (unsigned long long)(buf[i] - '0');
    }
    *length = value;
    return true;
}

/* The header fields of a request that the daemon uses, as offsets within the buffer. */
struct header_fields {
    size_t accept_start, accept_end;    /* accept_end 0 for none */
    unsigned hosts;
    bool has_length;
    unsigned long long content_length;
    bool has_transfer_encoding;
    bool connection_close, connection_keep_alive;
    bool expect_continue;
};

/* Record the header name: value of buf[name..colon) and buf[value..value_end) in *fields. */
static enum http_parse_result use_header(const char *buf, size_t name, size_t colon,
                                         size_t value, size_t value_end,
                                         struct header_fields *fields, struct http_error *error)
{
    if (token_equals(buf, name, colon, "Content-Length")) {
        unsigned long long length;
        if (!parse_length(buf, value, value_end, &length))
            return invalid(error, 400, "invalid Content-Length: expected a decimal number of bytes");
        if (fields->has_length && length != fields->content_length)
            return invalid(error, 400, "conflicting Content-Length headers");
        fields->has_length = true;
        fields->content_length = length;
    } else if (token_equals(buf, name, colon, "Transfer-Encoding")) {
        fields->has_transfer_encoding = true;
    } else if (token_equals(buf, name, colon, "Host")) {
        fields->hosts++;
    } else if (token_equals(buf, name, colon, "Accept")) {
        if (fields->accept_end == 0) {
            fields->accept_start = value;
            fields->accept_end = value_end;
        }
    } else if (token_equals(buf, name, colon, "Connection")) {
        if (list_contains(buf, value, value_end, "close"))
            fields->connection_close = true;
        if (list_contains(buf, value, value_end, "keep-alive"))
            fields->connection_keep_alive = true;
    } else if (token_equals(buf, name, colon, "Expect")) {
        if (!token_equals(buf, value, value_end, "100-continue"))
            return invalid(error, 417, "unsupported Expect header: only 100-continue is supported");
        fields->expect_continue = true;
    }
    return HTTP_PARSE_COMPLETE;
}

/* Parse the header lines from buf[start] up to the empty line that ends at head_len. */
static enum http_parse_result parse_headers(const char *buf, size_t start, size_t head_len,
                                            struct header_fields *fields,
                                            struct http_error *error)
{
    size_t next;

    for (size_t pos = start; pos < head_len; pos = next) {
        size_t end = line_end(buf, pos, head_len, &next);
        if (end == pos)
            break;      /* the empty line */
        if (buf[pos] == ' ' || buf[pos] == '\t')
            return invalid(error, 400, "invalid header: obsolete line folding is not supported");

        size_t colon = pos;
        while (colon < end && is_tchar((unsigned char)buf[colon]))
            colon++;
        if (colon == pos || colon >= end || buf[colon] != ':')
            return invalid(error, 400, "invalid header name");

        size_t value = colon + 1, value_end = end;
        while (value < value_end && (buf[value] == ' ' || buf[value] == '\t'))
            value++;
        while (value_end > value && (buf[value_end - 1] == ' ' || buf[value_end - 1] == '\t'))
            value_end--;
        for (size_t i = value; i < value_end; i++) {
            if (is_ctl((unsigned char)buf[i]) && buf[i] != '\t')
                return invalid(error, 400, "invalid header value: control character");
        }
        if (use_header(buf, pos, colon, value, value_end, fields, error) != HTTP_PARSE_COMPLETE)
            return HTTP_PARSE_INVALID;
    }
    return HTTP_PARSE_COMPLETE;
}

/* Classify a head that does not fit in HTTP_HEAD_MAX bytes: a long request line or many headers. */
static enum http_parse_result head_too_large(const char *buf, size_t len, struct http_error *error)
{
    size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;

    if (!memchr(buf, '\n', scan))
        return invalid(error, 414, "request URI too long");
    return invalid(error, 431, "request header fields too large");
}

enum http_parse_result http_parse_request(char *buf, size_t len, size_t body_max,
                                          struct http_frame *frame, struct http_error *error)
{
    size_t start = 0;

    /* Empty lines before a request line are ignored, as HTTP/1.1 servers should. */
    while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
        start++;
    frame->head_len = 0;
    frame->expect_continue = false;
    if (start == len)
        return HTTP_PARSE_INCOMPLETE;

    size_t head_len = find_head_end(buf, len, start);
    if (head_len == 0)
        return len - start >= HTTP_HEAD_MAX ? head_too_large(buf + start, len - start, error)
                                            : HTTP_PARSE_INCOMPLETE;
    if (head_len - start > HTTP_HEAD_MAX)
        return head_too_large(buf + start, head_len - start, error);

    size_t headers_start;
    size_t line_stop = line_end(buf, start, head_len, &headers_start);
    struct request_line line;
    if (parse_request_line(buf, start, line_stop, &line, error) != HTTP_PARSE_COMPLETE)
        return HTTP_PARSE_INVALID;

    struct header_fields fields = {0};
    if (parse_headers(buf, headers_start, head_len, &fields, error) != HTTP_PARSE_COMPLETE)
        return HTTP_PARSE_INVALID;
    if (line.minor_version == 1 && fields.hosts != 1)
        return invalid(error, 400, fields.hosts == 0 ? "missing required Host header"
                                                     : "too many Host headers");
    if (fields.has_transfer_encoding)
        return invalid(error, 501, "Transfer-Encoding is not supported: "
                                   "send the request body with Content-Length");

    bool too_large = fields.content_length > body_max;
    size_t body_len = too_large ? 0 : (size_t)fields.content_length;
    if (!too_large && len - head_len < body_len) {
        frame->head_len = head_len;
        frame->expect_continue = fields.expect_continue && line.minor_version == 1;
        return HTTP_PARSE_INCOMPLETE;
    }

    buf[line.method_end] = '\0';
    buf[line.target_end] = '\0';
    if (fields.accept_end != 0)
        buf[fields.accept_end] = '\0';
    *frame = (struct http_frame){
        .method = buf + start,
        .target = buf + line.target_start,
        .minor_version = line.minor_version,
        .accept = fields.accept_end != 0 ? buf + fields.accept_start : NULL,
        .keep_alive = !fields.connection_close &&
                      (line.minor_version == 1 || fields.connection_keep_alive),
        .expect_continue = fields.expect_continue && line.minor_version == 1,
        .head_len = head_len,
        .content_length = fields.content_length,
        .body_too_large = too_large,
        .body = buf + head_len,
        .body_len = body_len,
        .frame_len = head_len + body_len,
    };
    return HTTP_PARSE_COMPLETE;
}

/* Decode the percent escapes of path in place; false for an invalid escape or an escaped NUL. */
static bool percent_decode(char *path)
{
    char *out = path;

    for (const char *in = path; *in; in++) {
        if (*in != '%') {
            *out++ = *in;
            continue;
        }
        int high = query_hex_value(in[1]);
        int low = high < 0 ? -1 : query_hex_value(in[2]);
        if (low < 0 || (high == 0 && low == 0))
            return false;
        *out++ = (char)(high * 16 + low);
        in += 2;
    }
    *out = '\0';
    return true;
}

bool http_split_target(char *target, const char **path, const char **query,
                       struct http_error *error)
{
    char *path_start = target;

    if (target[0] != '/') {
        size_t scheme = strncasecmp(target, "http://", 7) == 0    ? 7
                        : strncasecmp(target, "https://", 8) == 0 ? 8
                                                                  : 0;
        if (scheme == 0) {
            error->status = 400;
            error->reason = "invalid request target: expected a path that starts with /";
            return false;
        }
        path_start = target + scheme + strcspn(target + scheme, "/?");
    }

    char *mark = strchr(path_start, '?');
    *query = mark ? mark + 1 : "";
    if (mark)
        *mark = '\0';
    if (!percent_decode(path_start)) {
        error->status = 400;
        error->reason = "invalid request target: invalid percent escape in the path";
        return false;
    }
    *path = path_start;
    return true;
}

const char *http_reason_phrase(unsigned status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}
