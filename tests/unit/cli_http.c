/* Unit tests for nvidia-docker's HTTP response parser and URL escaping,
 * and one round trip over a Unix socket pair. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "util.h"

/* Parse the whole of text as a complete stream (at_eof) or not. */
static int parse(const char *text, bool at_eof, struct http_response *resp, nvd_error **err)
{
    return http_parse_response(text, strlen(text), at_eof, resp, err);
}

static void test_http_content_length(void **state)
{
    (void)state;
    struct http_response resp;
    const char *text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 7\r\n\r\n{\"a\":1}";

    assert_int_equal(parse(text, false, &resp, NULL), 1);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.reason, "OK");
    assert_int_equal(resp.body_len, 7);
    assert_string_equal(resp.body, "{\"a\":1}");
    assert_string_equal(http_header_get(&resp, "content-type"), "application/json");
    assert_null(http_header_get(&resp, "X-Missing"));
    http_response_clear(&resp);
}

static void test_http_incomplete(void **state)
{
    (void)state;
    struct http_response resp;
    nvd_error *err = NULL;
    const char *full = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    /* Every proper prefix needs more data, and at end of stream it is an error. */
    for (size_t n = 0; n < strlen(full); n++) {
        assert_int_equal(http_parse_response(full, n, false, &resp, NULL), 0);
        assert_int_equal(http_parse_response(full, n, true, &resp, &err), -1);
        assert_non_null(err);
        nvd_error_free(err);
        err = NULL;
    }
    assert_int_equal(http_parse_response(full, strlen(full), false, &resp, NULL), 1);
    assert_string_equal(resp.body, "hello");
    http_response_clear(&resp);
}

static void test_http_chunked(void **state)
{
    (void)state;
    struct http_response resp;
    const char *text = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "4\r\n{\"me\r\n"
                       "a;ext=1\r\nssage\":\"x\"\r\n"
                       "1\r\n}\r\n"
                       "0\r\nTrailer: t\r\n\r\n";

    assert_int_equal(parse(text, false, &resp, NULL), 1);
    assert_int_equal(resp.status, 404);
    assert_string_equal(resp.body, "{\"message\":\"x\"}");
    assert_int_equal(resp.body_len, 15);
    http_response_clear(&resp);

    /* Every proper prefix is incomplete. */
    for (size_t n = 0; n < strlen(text); n++)
        assert_int_equal(http_parse_response(text, n, false, &resp, NULL), 0);
}

static void test_http_chunked_beats_length(void **state)
{
    (void)state;
    struct http_response resp;
    const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                       "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";

    assert_int_equal(parse(text, false, &resp, NULL), 1);
    assert_string_equal(resp.body, "abc");
    http_response_clear(&resp);
}

static void test_http_close_delimited(void **state)
{
    (void)state;
    struct http_response resp;
    const char *text = "HTTP/1.0 400 Bad Request\n\ninvalid device: 9\n";

    assert_int_equal(parse(text, false, &resp, NULL), 0);
    assert_int_equal(parse(text, true, &resp, NULL), 1);
    assert_int_equal(resp.status, 400);
    assert_string_equal(resp.body, "invalid device: 9\n");
    http_response_clear(&resp);
}

static void test_http_interim_and_empty(void **state)
{
    (void)state;
    struct http_response resp;

    assert_int_equal(parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
                           "Content-Length: 2\r\n\r\n{}", false, &resp, NULL), 1);
    assert_int_equal(resp.status, 201);
    assert_int_equal(resp.header_count, 1);
    assert_string_equal(resp.body, "{}");
    http_response_clear(&resp);

    assert_int_equal(parse("HTTP/1.1 204 No Content\r\n\r\n", false, &resp, NULL), 1);
    assert_int_equal(resp.status, 204);
    assert_int_equal(resp.body_len, 0);
    http_response_clear(&resp);

    assert_int_equal(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, &resp, NULL), 1);
    assert_string_equal(resp.reason, "");
    http_response_clear(&resp);
}

static void test_http_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "SSH-2.0-OpenSSH\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 600 Odd\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
        "",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct http_response resp;
        nvd_error *err = NULL;
        int rc = parse(bad[i], true, &resp, &err);
        if (rc != -1)
            print_error("case %zu was accepted: %s\n", i, bad[i]);
        assert_int_equal(rc, -1);
        assert_non_null(err);
        assert_non_null(err->msg);
        nvd_error_free(err);
    }
}

/* Messages show the bytes a server sent escaped and clipped. */
static void test_http_bad_input_messages(void **state)
{
    (void)state;
    static const struct { const char *reply, *message; } cases[] = {
        { "\001\002 not http at all \377\376\n",
          "invalid HTTP status line \"\\x01\\x02 not http at all \\xff\\xfe\"" },
        { "HTTP/1.1 200 OK\r\nBad\x9b[2J: x\r\n\r\n",
          "invalid HTTP header line \"Bad\\x9b[2J: x\"" },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1\x1b\r\n\r\nx",
          "invalid Content-Length \"1\\x1b\"" },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nz\xff\r\n",
          "invalid chunk size line \"z\\xff\"" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct http_response resp;
        nvd_error *err = NULL;
        assert_int_equal(parse(cases[i].reply, true, &resp, &err), -1);
        assert_string_equal(err->msg, cases[i].message);
        nvd_error_free(err);
    }

    /* A status line of 100 kB is clipped. */
    struct nvd_buf big = { 0 };
    nvd_buf_puts(&big, "HTTP/1.1 2");
    for (int i = 0; i < 100000; i++)
        nvd_buf_puts(&big, "0");
    nvd_buf_puts(&big, "\r\n\r\n");
    struct http_response resp;
    nvd_error *err = NULL;
    assert_int_equal(parse(big.data, true, &resp, &err), -1);
    assert_non_null(strstr(err->msg, "... (100010 bytes)\""));
    assert_true(strlen(err->msg) < 200);
    nvd_error_free(err);
    nvd_buf_free(&big);
}

static void test_http_same_lengths_accepted(void **state)
{
    (void)state;
    struct http_response resp;

    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\ncontent-length: 2\r\n\r\nab",
                           false, &resp, NULL), 1);
    assert_string_equal(resp.body, "ab");
    http_response_clear(&resp);
}

static void test_http_escape(void **state)
{
    (void)state;
    char *s;

    s = http_escape("nvidia/cuda:8.0-runtime", true);
    assert_string_equal(s, "nvidia/cuda:8.0-runtime");
    free(s);
    s = http_escape("reg.io:5000/a/b@sha256:ab", true);
    assert_string_equal(s, "reg.io:5000/a/b@sha256:ab");
    free(s);
    s = http_escape("a b?c#d%e\r\n", true);
    assert_string_equal(s, "a%20b%3Fc%23d%25e%0D%0A");
    free(s);
    s = http_escape("0000:05:00.0", false);
    assert_string_equal(s, "0000%3A05%3A00.0");
    free(s);
    s = http_escape("GPU-1+&x=y", false);
    assert_string_equal(s, "GPU-1%2B%26x%3Dy");
    free(s);
    s = http_escape("", false);
    assert_string_equal(s, "");
    free(s);
}

static void test_http_roundtrip_socketpair(void **state)
{
    (void)state;
    int sv[2];
    struct http_request req = {
        .method = "POST", .target = "/volumes/create", .host_header = "docker",
        .content_type = "application/json", .body = "{}", .body_len = 2,
    };
    const char *reply = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
    struct http_response resp;
    char sent[1024];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    /* The reply fits the socket buffer, so it can be written first. */
    assert_int_equal(write(sv[1], reply, strlen(reply)), (ssize_t)strlen(reply));
    assert_int_equal(http_roundtrip(sv[0], &req, http_now_ms() + 5000, &resp, NULL), 0);
    assert_int_equal(resp.status, 201);
    assert_string_equal(resp.body, "{}");
    http_response_clear(&resp);

    ssize_t n = read(sv[1], sent, sizeof(sent) - 1);
    assert_true(n > 0);
    sent[n] = '\0';
    assert_non_null(strstr(sent, "POST /volumes/create HTTP/1.1\r\n"));
    assert_non_null(strstr(sent, "\r\nHost: docker\r\n"));
    assert_non_null(strstr(sent, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(sent, "\r\nContent-Length: 2\r\n\r\n{}"));
    close(sv[0]);
    close(sv[1]);
}

static void test_http_roundtrip_timeout(void **state)
{
    (void)state;
    int sv[2];
    struct http_request req = { .method = "GET", .target = "/", .host_header = "h" };
    struct http_response resp;
    nvd_error *err = NULL;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    assert_int_equal(http_roundtrip(sv[0], &req, http_now_ms() + 200, &resp, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->errnum, ETIMEDOUT);
    nvd_error_free(err);
    close(sv[0]);
    close(sv[1]);
}

static void test_http_connect_missing_socket(void **state)
{
    (void)state;
    nvd_error *err = NULL;
    struct http_endpoint ep = { .unix_path = "/nonexistent/nvd-test.sock" };

    assert_int_equal(http_connect(&ep, http_now_ms() + 1000, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->errnum, ENOENT);
    assert_non_null(strstr(err->msg, "/nonexistent/nvd-test.sock"));
    nvd_error_free(err);
}

/* Listen on the loopback address of family (AF_INET or AF_INET6) at an
 * ephemeral port; set port to it. Return the socket, or -1 without IPv6. */
static int listen_loopback(int family, char *port, size_t port_size)
{
    struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
    socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (family == AF_INET)
        ((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else
        ((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
    unsigned short number = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                              : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    snprintf(port, port_size, "%u", number);
    return fd;
}

/* localhost reaches 127.0.0.1 without the resolver, and so does a literal
 * address. Whether localhost reaches a server on [::1] alone depends on
 * /etc/hosts, and asking the resolver could send a DNS query, so that case
 * is left untested. */
static void test_http_connect_loopback(void **state)
{
    (void)state;
    char port[16];
    nvd_error *err = NULL;

    int server = listen_loopback(AF_INET, port, sizeof(port));
    assert_true(server >= 0);
    int fd = http_connect(&(struct http_endpoint){ .host = "localhost", .port = port },
                          http_now_ms() + 1000, &err);
    assert_true(fd >= 0);
    close(fd);
    fd = http_connect(&(struct http_endpoint){ .host = "127.0.0.1", .port = port },
                      http_now_ms() + 1000, &err);
    assert_true(fd >= 0);
    close(fd);
    close(server);

    /* Nothing listens there now. */
    assert_int_equal(http_connect(&(struct http_endpoint){ .host = "localhost", .port = port },
                                  http_now_ms() + 1000, &err), -1);
    assert_int_equal(err->errnum, ECONNREFUSED);
    char *where = nvd_xasprintf("localhost:%s", port);
    assert_non_null(strstr(err->msg, where));
    free(where);
    nvd_error_free(err);
    err = NULL;

    server = listen_loopback(AF_INET6, port, sizeof(port));
    if (server < 0)
        skip();
    fd = http_connect(&(struct http_endpoint){ .host = "::1", .port = port },
                      http_now_ms() + 1000, &err);
    assert_true(fd >= 0);
    close(fd);
    close(server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_content_length),
        cmocka_unit_test(test_http_incomplete),
        cmocka_unit_test(test_http_chunked),
        cmocka_unit_test(test_http_chunked_beats_length),
        cmocka_unit_test(test_http_close_delimited),
        cmocka_unit_test(test_http_interim_and_empty),
        cmocka_unit_test(test_http_bad_input),
        cmocka_unit_test(test_http_bad_input_messages),
        cmocka_unit_test(test_http_same_lengths_accepted),
        cmocka_unit_test(test_http_escape),
        cmocka_unit_test(test_http_roundtrip_socketpair),
        cmocka_unit_test(test_http_roundtrip_timeout),
        cmocka_unit_test(test_http_connect_missing_socket),
        cmocka_unit_test(test_http_connect_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
