/* Unit tests for the HTTP request parser of nvidia-docker-plugin's servers. */
#include "test_util.h"

#include "http_parse.h"
#include "plugin.h"
#include "util.h"

/* Maximum body size that these tests pass to the parser, in bytes. */
#define TEST_BODY_MAX 16

/* A request copied into its own heap buffer, so that ASan reports reads past its end. */
struct parsed {
    char *buf;
    size_t len;
    enum http_parse_result result;
    struct http_frame frame;
    struct http_error error;
};

/* Parse the first len bytes of text with body maximum TEST_BODY_MAX. */
static void parse_bytes(struct parsed *p, const char *text, size_t len)
{
    p->buf = nvd_xmalloc(len ? len : 1);
    memcpy(p->buf, text, len);
    p->len = len;
    p->error = (struct http_error){0};
    p->result = http_parse_request(p->buf, len, TEST_BODY_MAX, &p->frame, &p->error);
}

static void parse_text(struct parsed *p, const char *text)
{
    parse_bytes(p, text, strlen(text));
}

static void parsed_free(struct parsed *p)
{
    free(p->buf);
}

/* Check that text is rejected with status (0: closed without a reply). */
static void expect_invalid_bytes(const char *text, size_t len, unsigned status)
{
    struct parsed p;

    parse_bytes(&p, text, len);
    if (p.result != HTTP_PARSE_INVALID)
        fail_msg("request '%.*s': expected invalid, got result %d", (int)len, text, p.result);
    if (p.error.status != status)
        fail_msg("request '%.*s': expected status %u, got %u (%s)", (int)len, text, status,
                 p.error.status, p.error.reason);
    assert_non_null(p.error.reason);
    parsed_free(&p);
}

static void expect_invalid(const char *text, unsigned status)
{
    expect_invalid_bytes(text, strlen(text), status);
}

/* Check that text, a prefix of a request, needs more bytes and is left unchanged. */
static void expect_incomplete(const char *text)
{
    struct parsed p;

    parse_text(&p, text);
    if (p.result != HTTP_PARSE_INCOMPLETE)
        fail_msg("request '%s': expected incomplete, got result %d", text, p.result);
    assert_memory_equal(p.buf, text, strlen(text));
    parsed_free(&p);
}

static void parse_simple_get(void **state)
{
    struct parsed p;

    parse_text(&p, "GET /gpu/info/json?x=1 HTTP/1.1\r\nHost: localhost\r\n"
                   "Accept: application/json\r\n\r\n");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_string_equal(p.frame.method, "GET");
    assert_string_equal(p.frame.target, "/gpu/info/json?x=1");
    assert_int_equal(p.frame.minor_version, 1);
    assert_string_equal(p.frame.accept, "application/json");
    assert_true(p.frame.keep_alive);
    assert_false(p.frame.body_too_large);
    assert_int_equal(p.frame.body_len, 0);
    assert_int_equal(p.frame.frame_len, p.len);
    parsed_free(&p);
}

static void parse_header_names_any_case(void **state)
{
    struct parsed p;

    parse_text(&p, "POST /VolumeDriver.Create HTTP/1.1\r\nhOsT: x\r\n"
                   "content-LENGTH:   5  \r\nACCEPT:\tapplication/json\t\r\n"
                   "CONNECTION: Close\r\n\r\nhello");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_string_equal(p.frame.method, "POST");
    assert_string_equal(p.frame.accept, "application/json");
    assert_int_equal(p.frame.content_length, 5);
    assert_int_equal(p.frame.body_len, 5);
    assert_memory_equal(p.frame.body, "hello", 5);
    assert_false(p.frame.keep_alive);
    parsed_free(&p);
}

static void parse_http_1_0_connection(void **state)
{
    struct parsed p;

    parse_text(&p, "GET / HTTP/1.0\r\n\r\n");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_int_equal(p.frame.minor_version, 0);
    assert_false(p.frame.keep_alive);
    assert_null(p.frame.accept);
    parsed_free(&p);

    parse_text(&p, "GET / HTTP/1.0\r\nConnection: foo, Keep-Alive\r\n\r\n");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_true(p.frame.keep_alive);
    parsed_free(&p);

    parse_text(&p, "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_false(p.frame.keep_alive);
    parsed_free(&p);
}

static void parse_bare_lf_and_leading_blank_lines(void **state)
{
    struct parsed p;

    parse_text(&p, "\r\n\nGET /a HTTP/1.1\nHost: x\n\n");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_string_equal(p.frame.method, "GET");
    assert_string_equal(p.frame.target, "/a");
    assert_int_equal(p.frame.frame_len, p.len);
    parsed_free(&p);
}

static void parse_pipelined_requests(void **state)
{
    const char *text = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                       "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /c HTTP/1.1\r\nHost: x\r\n";
    struct parsed p;

    parse_text(&p, text);
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_string_equal(p.frame.target, "/a");
    assert_memory_equal(p.frame.body, "abc", 3);

    size_t offset = p.frame.frame_len;
    struct http_frame second;
    struct http_error error;
    assert_int_equal(http_parse_request(p.buf + offset, p.len - offset, TEST_BODY_MAX, &second,
                                        &error), HTTP_PARSE_COMPLETE);
    assert_string_equal(second.target, "/b");
    assert_int_equal(second.body_len, 0);

    offset += second.frame_len;
    struct http_frame third;
    assert_int_equal(http_parse_request(p.buf + offset, p.len - offset, TEST_BODY_MAX, &third,
                                        &error), HTTP_PARSE_INCOMPLETE);
    parsed_free(&p);
}

static void parse_incomplete_requests(void **state)
{
    expect_incomplete("");
    expect_incomplete("\r\n");
    expect_incomplete("GET");
    expect_incomplete("GET / HTTP/1.1\r\n");
    expect_incomplete("GET / HTTP/1.1\r\nHost: x\r\n");
    expect_incomplete("GET / HTTP/1.1\r\nHost: x\r\n\r");
    /* The body is missing, or part of it. */
    expect_incomplete("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n");
    expect_incomplete("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabc");
}

static void parse_expect_continue(void **state)
{
    const char *head = "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                       "Content-Length: 4\r\n\r\n";
    struct parsed p;

    /* The head is in and the body is not: the client waits for "100 Continue". */
    parse_text(&p, head);
    assert_int_equal(p.result, HTTP_PARSE_INCOMPLETE);
    assert_true(p.frame.expect_continue);
    assert_int_equal(p.frame.head_len, strlen(head));
    parsed_free(&p);

    parse_text(&p, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n");
    assert_int_equal(p.result, HTTP_PARSE_INCOMPLETE);
    assert_false(p.frame.expect_continue);
    parsed_free(&p);

    parse_text(&p, "POST / HTTP/1.1\r\nHost: x\r\n");
    assert_int_equal(p.result, HTTP_PARSE_INCOMPLETE);
    assert_int_equal(p.frame.head_len, 0);
    parsed_free(&p);
}

static void parse_body_too_large(void **state)
{
    struct parsed p;

    /* Complete at once: the body is not buffered but dropped by the caller. */
    parse_text(&p, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\nabc");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_true(p.frame.body_too_large);
    assert_int_equal(p.frame.content_length, 17);
    assert_int_equal(p.frame.body_len, 0);
    assert_int_equal(p.frame.frame_len, p.frame.head_len);
    parsed_free(&p);

    parse_text(&p, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n0123456789abcdef");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_false(p.frame.body_too_large);
    assert_int_equal(p.frame.body_len, 16);
    parsed_free(&p);
}

static void reject_bad_request_lines(void **state)
{
    expect_invalid("garbage\r\n\r\n", 0);
    expect_invalid("GET\r\n\r\n", 0);
    expect_invalid("GET /\r\n\r\n", 0);
    expect_invalid("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 0);
    expect_invalid("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 0);
    expect_invalid("GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n", 0);
    expect_invalid_bytes("\x00\x01\x02\xff\r\n\r\n", 8, 0);
    expect_invalid("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/11\r\nHost: x\r\n\r\n", 400);
    expect_invalid("GET / FTP/1.1\r\nHost: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505);
}

static void reject_bad_headers(void **state)
{
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\n: empty name\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nName : x\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n folded\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nA: b\x01c\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400);
    expect_invalid("GET / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", 417);
}

static void reject_nul_bytes(void **state)
{
    const char in_value[] = "GET / HTTP/1.1\r\nHost: x\r\nA: b\0c\r\n\r\n";
    const char in_name[] = "GET / HTTP/1.1\r\nHost: x\r\nA\0: b\r\n\r\n";
    const char in_target[] = "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n";
    const char in_method[] = "G\0T / HTTP/1.1\r\nHost: x\r\n\r\n";

    expect_invalid_bytes(in_value, sizeof(in_value) - 1, 400);
    expect_invalid_bytes(in_name, sizeof(in_name) - 1, 400);
    expect_invalid_bytes(in_target, sizeof(in_target) - 1, 0);
    expect_invalid_bytes(in_method, sizeof(in_method) - 1, 0);
}

static void reject_bad_content_length(void **state)
{
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12x\r\n\r\n", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\n"
                   "Content-Length: 99999999999999999999999\r\n\r\n", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                   "Content-Length: 2\r\n\r\nab", 400);
    expect_invalid("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "3\r\nabc\r\n0\r\n\r\n", 501);
}

static void accept_repeated_equal_content_length(void **state)
{
    struct parsed p;

    parse_text(&p, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                   "Content-Length: 2\r\n\r\nab");
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    assert_int_equal(p.frame.body_len, 2);
    parsed_free(&p);
}

/* Build a request of size bytes at least, with a target or headers that make it up. */
static char *build_large(bool long_target, size_t size)
{
    struct nvd_buf b = {0};

    if (long_target) {
        nvd_buf_puts(&b, "GET /");
        while (b.len < size)
            nvd_buf_puts(&b, "aaaaaaaaaaaaaaaa");
        nvd_buf_puts(&b, " HTTP/1.1\r\nHost: x\r\n\r\n");
    } else {
        nvd_buf_puts(&b, "GET / HTTP/1.1\r\nHost: x\r\n");
        for (int i = 0; b.len < size; i++)
            nvd_buf_printf(&b, "X-Header-%d: value\r\n", i);
        nvd_buf_puts(&b, "\r\n");
    }
    return nvd_buf_steal(&b);
}

static void reject_huge_heads(void **state)
{
    cleanup_free char *long_uri = build_large(true, HTTP_HEAD_MAX + 100);
    cleanup_free char *many_headers = build_large(false, HTTP_HEAD_MAX + 100);

    /* Complete, and incomplete but already over the maximum. */
    expect_invalid(long_uri, 414);
    expect_invalid_bytes(long_uri, HTTP_HEAD_MAX, 414);
    expect_invalid(many_headers, 431);
    expect_invalid_bytes(many_headers, HTTP_HEAD_MAX, 431);
}

static void accept_head_at_maximum(void **state)
{
    struct nvd_buf b = {0};
    struct parsed p;

    nvd_buf_puts(&b, "GET / HTTP/1.1\r\nHost: x\r\nX: ");
    while (b.len < HTTP_HEAD_MAX - 4)
        nvd_buf_puts(&b, "a");
    nvd_buf_puts(&b, "\r\n\r\n");
    assert_int_equal(b.len, HTTP_HEAD_MAX);
    parse_bytes(&p, b.data, b.len);
    assert_int_equal(p.result, HTTP_PARSE_COMPLETE);
    parsed_free(&p);
    nvd_buf_free(&b);
}

/* Check the path and query that http_split_target() makes of target. */
static void expect_split(const char *target, const char *path, const char *query)
{
    cleanup_free char *copy = nvd_xstrdup(target);
    const char *got_path, *got_query;
    struct http_error error;

    if (!http_split_target(copy, &got_path, &got_query, &error))
        fail_msg("target '%s': rejected with %u (%s)", target, error.status, error.reason);
    if (strcmp(got_path, path) != 0 || strcmp(got_query, query) != 0)
        fail_msg("target '%s': expected '%s' and '%s', got '%s' and '%s'", target, path, query,
                 got_path, got_query);
}

static void expect_split_rejected(const char *target)
{
    cleanup_free char *copy = nvd_xstrdup(target);
    const char *path, *query;
    struct http_error error;

    if (http_split_target(copy, &path, &query, &error))
        fail_msg("target '%s': expected a rejection, got path '%s'", target, path);
    assert_int_equal(error.status, 400);
}

static void split_targets(void **state)
{
    expect_split("/gpu/info", "/gpu/info", "");
    expect_split("/docker/cli?dev=0+1&vol=nvidia_driver", "/docker/cli", "dev=0+1&vol=nvidia_driver");
    expect_split("/a%20b%2Fc?x=%20", "/a b/c", "x=%20");
    expect_split("/x%0d%0aY", "/x\r\nY", "");
    expect_split("/?", "/", "");
    expect_split("http://localhost:3476/gpu/info/json?x", "/gpu/info/json", "x");
    expect_split("HTTPS://host/a", "/a", "");
    expect_split("http://host", "", "");
    expect_split("http://host?q=1", "", "q=1");
}

static void split_rejects_bad_targets(void **state)
{
    expect_split_rejected("*");
    expect_split_rejected("gpu/info");
    expect_split_rejected("ftp://host/a");
    expect_split_rejected("/a%zz");
    expect_split_rejected("/a%4");
    expect_split_rejected("/a%");
    expect_split_rejected("/a%00b");
}

static void reason_phrases(void **state)
{
    assert_string_equal(http_reason_phrase(200), "OK");
    assert_string_equal(http_reason_phrase(404), "Not Found");
    assert_string_equal(http_reason_phrase(406), "Not Acceptable");
    assert_string_equal(http_reason_phrase(431), "Request Header Fields Too Large");
    assert_string_equal(http_reason_phrase(799), "Unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_simple_get),
        cmocka_unit_test(parse_header_names_any_case),
        cmocka_unit_test(parse_http_1_0_connection),
        cmocka_unit_test(parse_bare_lf_and_leading_blank_lines),
        cmocka_unit_test(parse_pipelined_requests),
        cmocka_unit_test(parse_incomplete_requests),
        cmocka_unit_test(parse_expect_continue),
        cmocka_unit_test(parse_body_too_large),
        cmocka_unit_test(reject_bad_request_lines),
        cmocka_unit_test(reject_bad_headers),
        cmocka_unit_test(reject_nul_bytes),
        cmocka_unit_test(reject_bad_content_length),
        cmocka_unit_test(accept_repeated_equal_content_length),
        cmocka_unit_test(reject_huge_heads),
        cmocka_unit_test(accept_head_at_maximum),
        cmocka_unit_test(split_targets),
        cmocka_unit_test(split_rejects_bad_targets),
        cmocka_unit_test(reason_phrases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
