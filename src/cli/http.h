/*
 * http.h: a small HTTP/1.1 client for the Docker Engine API (on a Unix
 * socket) and the plugin's REST API (on TCP or through ssh). One request
 * per connection ("Connection: close") unless the request keeps it alive,
 * and a deadline over the whole exchange. It is written by
 * hand so that nvidia-docker loads no HTTP library.
 */
#ifndef NVD_CLI_HTTP_H
#define NVD_CLI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvd.h"

/* The deadline 1.0 gives each request, in milliseconds. */
#define HTTP_TIMEOUT_MS 10000

/* A server address: a Unix socket path, or a TCP host and port. */
struct http_endpoint {
    const char *unix_path;   /* set for a Unix socket */
    const char *host;        /* else a host name or address ... */
    const char *port;        /* ... and a port number */
};

struct http_request {
    const char *method;        /* "GET", "POST" */
    const char *target;        /* "/images/x/json", already escaped */
    const char *host_header;   /* value of the Host header */
    const char *content_type;  /* NULL when there is no body */
    const char *body;
    size_t body_len;
    bool keep_alive;           /* leave the connection open for another request */
};

struct http_header {
    char *name;
    char *value;
};

struct http_response {
    int status;
    char *reason;
    size_t header_count;
    struct http_header *headers;
    char *body;          /* NUL-terminated; may hold NULs itself */
    size_t body_len;
};

/* Return the current CLOCK_MONOTONIC time in milliseconds. */
int64_t http_now_ms(void);

/*
 * Connect to ep before deadline_ms (a http_now_ms() time) and return the
 * socket. A failure is an NVD_ERR_SYSTEM error whose errnum gives the cause
 * (ENOENT, EACCES, ECONNREFUSED, ETIMEDOUT, ...).
 */
int http_connect(const struct http_endpoint *ep, int64_t deadline_ms,
                 nvd_error **err);

/*
 * Send req on the connected socket fd and read the whole response into
 * resp before deadline_ms. Release resp with http_response_clear().
 */
int http_roundtrip(int fd, const struct http_request *req, int64_t deadline_ms,
                   struct http_response *resp, nvd_error **err);

/*
 * Parse the HTTP/1.x response in data[0..len), skipping interim 1xx
 * responses. The body is delimited by Transfer-Encoding: chunked, by
 * Content-Length or, without either, by the end of the connection (at_eof).
 * Returns 1 with resp filled when the response is complete, 0 when more
 * data is needed (never when at_eof), -1 when the data is not a valid
 * response.
 */
int http_parse_response(const char *data, size_t len, bool at_eof,
                        struct http_response *resp, nvd_error **err);

/* Return the value of the first header called name (any case), or NULL. */
const char *http_header_get(const struct http_response *resp, const char *name);

void http_response_clear(struct http_response *resp);

/*
 * Return a new copy of s with every byte that may not appear as it is in a
 * URL path (when in_path) or in a query value escaped as %XX. Letters,
 * digits and "-._~" are never escaped, and a path keeps "/:@!$&'()*+,;=".
 */
char *http_escape(const char *s, bool in_path);

#endif /* NVD_CLI_HTTP_H */
