/* Unit tests for the NV_HOST grammar and the plugin host that a docker
 * host implies: one table of values and what they mean. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "nv_host.h"
#include "util.h"

/* One value and its meaning; error is a part of the message, or NULL. */
struct host_case {
    const char *value;
    enum nv_host_kind kind;
    const char *user, *host, *ssh_port, *http_port;
    const char *error;
};

#define LOCAL(v) { v, NV_HOST_LOCAL, NULL, NULL, NULL, NULL, NULL }
#define HTTP(v, h, p) { v, NV_HOST_HTTP, NULL, h, NULL, p, NULL }
#define SSH(v, u, h, s, p) { v, NV_HOST_SSH, u, h, s, p, NULL }
#define BAD(v, e) { v, NV_HOST_LOCAL, NULL, NULL, NULL, NULL, e }

static const struct host_case nv_host_cases[] = {
    /* Local mode. */
    LOCAL(""),
    LOCAL("unix://"),
    LOCAL("unix:///var/run/docker.sock"),
    /* 1.0's forms: the last colon, one number is the http port. */
    HTTP("10.0.0.1:", "10.0.0.1", "3476"),
    HTTP("10.0.0.1:80", "10.0.0.1", "80"),
    HTTP(":", "localhost", "3476"),
    HTTP("localhost:", "localhost", "3476"),
    HTTP("tcp://gpu-host:", "gpu-host", "3476"),
    HTTP("http://gpu-host:3476", "gpu-host", "3476"),
    HTTP("tcp://", "localhost", "3476"),
    HTTP("[::1]:", "::1", "3476"),
    HTTP("[fe80::1]:3476", "fe80::1", "3476"),
    SSH("ssh://10.0.0.1:", NULL, "10.0.0.1", NULL, "3476"),
    SSH("ssh://foo@10.0.0.1:22:80", "foo", "10.0.0.1", "22", "80"),
    SSH("ssh://foo@h:2222:", "foo", "h", "2222", "3476"),
    /* One number after ssh:// is the http port, as in 1.0. */
    SSH("ssh://h:8080", NULL, "h", NULL, "8080"),
    SSH("ssh://", NULL, "localhost", NULL, "3476"),
    /* Forms 1.0 rejected that mean one thing only. */
    HTTP("10.0.0.1", "10.0.0.1", "3476"),
    HTTP("gpu-host.example.com", "gpu-host.example.com", "3476"),
    HTTP("http://10.0.0.1:3476/", "10.0.0.1", "3476"),
    HTTP("HTTP://h:1", "h", "1"),
    HTTP("[FE80::A]", "FE80::A", "3476"),
    SSH("ssh://user@h", "user", "h", NULL, "3476"),
    SSH("ssh://user_1.x@h/", "user_1.x", "h", NULL, "3476"),
    /* Bad input. */
    BAD("https://h:", "plain HTTP only"),
    BAD("ftp://h:", "the scheme must be"),
    BAD("://h", "the scheme is not valid"),
    BAD("h:0", "http port is not a number"),
    BAD("h:65536", "http port is not a number"),
    BAD("h:3476x", "http port is not a number"),
    BAD("h:-1", "http port is not a number"),
    BAD("h::80", "two ports"),
    BAD("ssh://h::80", "ssh port is not a number"),
    BAD("ssh://h:1:2:3", "more than two ports"),
    BAD("http://h:22:80", "two ports"),
    BAD("http://u@h:", "a user name is for ssh:// only"),
    BAD("ssh://u:secret@h:", "a password"),
    BAD("ssh://-oProxyCommand=x@h:", "user name is not valid"),
    BAD("ssh://-oProxyCommand=x:", "host name is not valid"),
    BAD("ssh://@h:", "user name is not valid"),
    BAD("h h:", "host name is not valid"),
    BAD("h/x:", "nothing but"),
    BAD("http://h:3476/path", "nothing but"),
    BAD("h:80?x", "nothing but"),
    BAD("[::1", "IPv6"),
    BAD("[]:", "IPv6"),
    BAD("[::1]x", "a port must follow"),
    BAD("::1", "two ports"),
};

static const struct host_case docker_host_cases[] = {
    LOCAL("unix:///var/run/docker.sock"),
    /* The engine's port is never the plugin's: 3476, as 1.0. */
    HTTP("tcp://10.0.0.1:2376", "10.0.0.1", "3476"),
    HTTP("tcp://10.0.0.1", "10.0.0.1", "3476"),
    HTTP("10.0.0.1:2375", "10.0.0.1", "3476"),
    HTTP("https://gpu-host:2376/", "gpu-host", "3476"),
    HTTP("tcp://[fd00::1]:2376", "fd00::1", "3476"),
    /* docker's ssh:// port is ssh's. */
    SSH("ssh://ubuntu@10.0.0.1", "ubuntu", "10.0.0.1", NULL, "3476"),
    SSH("ssh://ubuntu@10.0.0.1:2222", "ubuntu", "10.0.0.1", "2222", "3476"),
    SSH("ssh://gpu-host", NULL, "gpu-host", NULL, "3476"),
    BAD("npipe:////./pipe/docker_engine", "the scheme must be"),
    BAD("tcp://h:2376:1", "the port is not a number"),
    BAD("tcp://u@h:2376", "a user name is for ssh:// only"),
};

static void check_case(const struct host_case *c, int rc, const struct nv_host *h,
                       const nvd_error *err)
{
    if (c->error) {
        if (rc != -1 || !err)
            fail_msg("\"%s\": expected an error containing \"%s\"", c->value, c->error);
        if (!strstr(err->msg, c->error) || !strstr(err->msg, c->value))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\" or the value", c->value, err->msg,
                     c->error);
        return;
    }
    if (rc != 0)
        fail_msg("\"%s\": unexpected error: %s", c->value, err ? err->msg : "(none)");
    if (h->kind != c->kind)
        fail_msg("\"%s\": kind %d, expected %d", c->value, h->kind, c->kind);

    const char *got[] = { h->user, h->host, h->ssh_port, h->http_port };
    const char *want[] = { c->user, c->host, c->ssh_port, c->http_port };
    const char *names[] = { "user", "host", "ssh port", "http port" };
    for (size_t i = 0; i < 4; i++) {
        if ((got[i] == NULL) != (want[i] == NULL) ||
            (got[i] && strcmp(got[i], want[i]) != 0))
            fail_msg("\"%s\": %s is \"%s\", expected \"%s\"", c->value, names[i],
                     got[i] ? got[i] : "(null)", want[i] ? want[i] : "(null)");
    }
}

static void test_nv_host_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(nv_host_cases) / sizeof(nv_host_cases[0]); i++) {
        struct nv_host h;
        nvd_error *err = NULL;
        int rc = nv_host_parse(nv_host_cases[i].value, &h, &err);
        check_case(&nv_host_cases[i], rc, &h, err);
        nv_host_clear(&h);
        nvd_error_free(err);
    }
}

static void test_docker_host_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(docker_host_cases) / sizeof(docker_host_cases[0]); i++) {
        struct nv_host h;
        nvd_error *err = NULL;
        int rc = nv_host_from_docker_host(docker_host_cases[i].value, &h, &err);
        check_case(&docker_host_cases[i], rc, &h, err);
        nv_host_clear(&h);
        nvd_error_free(err);
    }
}

static void test_nv_host_null_is_local(void **state)
{
    (void)state;
    struct nv_host h;
    assert_int_equal(nv_host_parse(NULL, &h, NULL), 0);
    assert_int_equal(h.kind, NV_HOST_LOCAL);
}

static void test_nv_host_describe(void **state)
{
    (void)state;
    static const struct { const char *value, *text; } cases[] = {
        { "10.0.0.1:", "10.0.0.1:3476" },
        { "[::1]:80", "[::1]:80" },
        { "ssh://root@h:2222:", "ssh://root@h:2222 (localhost:3476 there)" },
        { "ssh://h:", "ssh://h (localhost:3476 there)" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct nv_host h;
        assert_int_equal(nv_host_parse(cases[i].value, &h, NULL), 0);
        char *text = nv_host_describe(&h);
        assert_string_equal(text, cases[i].text);
        free(text);
        nv_host_clear(&h);
    }
}

static void test_nv_host_loopback(void **state)
{
    (void)state;
    static const struct { const char *value; bool loopback; } cases[] = {
        { "localhost:", true }, { ":", true }, { "127.0.0.2:", true }, { "[::1]:", true },
        { "10.0.0.1:", false }, { "ssh://gpu:", false }, { "unix://", true },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct nv_host h;
        assert_int_equal(nv_host_parse(cases[i].value, &h, NULL), 0);
        assert_int_equal(nv_host_is_loopback(&h), cases[i].loopback);
        nv_host_clear(&h);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nv_host_table),
        cmocka_unit_test(test_docker_host_table),
        cmocka_unit_test(test_nv_host_null_is_local),
        cmocka_unit_test(test_nv_host_describe),
        cmocka_unit_test(test_nv_host_loopback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
