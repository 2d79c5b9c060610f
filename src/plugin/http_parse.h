/*
 * http_parse.h: an HTTP/1.0 and HTTP/1.1 request parser for the daemon's
 * servers. It frames one request at the start of a buffer: the request
 * line, the headers that the daemon uses, and a body of Content-Length
 * bytes. It does no I/O and allocates nothing.
 */
#ifndef NVD_PLUGIN_HTTP_PARSE_H
#define NVD_PLUGIN_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Maximum size of a request line and its headers, in bytes; a larger
 * request gets 414 (request line) or 431 (headers). Real requests take a
 * few hundred bytes. The body is not part of it.
 */
#define HTTP_HEAD_MAX (16 * 1024)

/* Result of http_parse_request(). */
enum http_parse_result {
    HTTP_PARSE_INVALID = -1,    /* see struct http_error */
    HTTP_PARSE_INCOMPLETE = 0,  /* more bytes are needed */
    HTTP_PARSE_COMPLETE = 1,
};

/*
 * Why a request is invalid: the status of the reply, or 0 when the bytes
 * are no HTTP request at all and the connection closes without a reply,
 * and a reason for the reply body and the log.
 */
struct http_error {
    unsigned status;
    const char *reason;
};

/*
 * One request framed at the start of a buffer. The strings point into the
 * buffer, which the parser changed to terminate them.
 */
struct http_frame {
    char *method;
    char *target;               /* raw request target, query string included */
    unsigned minor_version;     /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    const char *accept;         /* first Accept header, or NULL */
    bool keep_alive;            /* the connection stays open after the reply */
    bool expect_continue;       /* Expect: 100-continue in HTTP/1.1 */
    size_t head_len;            /* bytes of the request line and headers */
    unsigned long long content_length;
    /*
     * The body exceeds the caller's maximum: it is not in the buffer, and
     * the caller drops content_length bytes after head_len.
     */
    bool body_too_large;
    char *body;                 /* buffer + head_len, not NUL-terminated */
    size_t body_len;            /* 0 when body_too_large */
    size_t frame_len;           /* head_len + body_len: where the next request starts */
};

/*
 * Frame the request at the start of buf[0..len), whose body may take at
 * most body_max bytes. Returns HTTP_PARSE_COMPLETE with *frame set once
 * the head and body are in, HTTP_PARSE_INCOMPLETE while bytes are missing
 * (buf is unchanged then), or HTTP_PARSE_INVALID with *error set. When only
 * the body is missing, HTTP_PARSE_INCOMPLETE sets frame->head_len and
 * frame->expect_continue, and frame->head_len is 0 otherwise.
 */
enum http_parse_result http_parse_request(char *buf, size_t len, size_t body_max,
                                          struct http_frame *frame, struct http_error *error);

/*
 * Split a request target in place into its path, decoded from percent
 * escapes, and its raw query string ("" for none). An absolute URI
 * ("http://host/path") has the path after its authority, "" when it has
 * none. Returns false with *error set for a target that is neither, an
 * invalid escape, or an escaped NUL.
 */
bool http_split_target(char *target, const char **path, const char **query,
                       struct http_error *error);

/* Return the reason phrase of an HTTP status, such as "Not Found", or "Unknown". */
const char *http_reason_phrase(unsigned status);

#endif /* NVD_PLUGIN_HTTP_PARSE_H */
