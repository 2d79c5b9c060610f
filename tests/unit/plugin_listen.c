/* Unit tests for the plugin's listen sockets: Go-style TCP addresses and the Unix socket. */
#include "test_util.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "plugin.h"
#include "util.h"
#include "server.h"

/* Split address and compare the parts with the expected host and port. */
static void expect_split(const char *address, const char *want_host, const char *want_port)
{
    char host[64];
    char port[16];
    nvd_error *err = NULL;

    if (listen_split_address(address, host, sizeof(host), port, sizeof(port), &err) < 0)
        fail_msg("split '%s' failed: %s", address, err->msg);
    assert_string_equal(host, want_host);
    assert_string_equal(port, want_port);
}

/* Split address and check that it fails with a message containing text. */
static void expect_split_error(const char *address, const char *text)
{
    char host[64];
    char port[16];
    nvd_error *err = NULL;

    assert_int_equal(listen_split_address(address, host, sizeof(host), port, sizeof(port), &err), -1);
    assert_int_equal(err->kind, NVD_ERR_INVALID);
    if (!strstr(err->msg, text))
        fail_msg("split '%s': message '%s' lacks '%s'", address, err->msg, text);
    nvd_error_free(err);
}

static void split_host_and_port(void **state)
{
    expect_split("localhost:3476", "localhost", "3476");
    expect_split("127.0.0.1:80", "127.0.0.1", "80");
    expect_split(":3476", "", "3476");
    expect_split("localhost:", "localhost", "");
    expect_split("[::1]:3476", "::1", "3476");
    expect_split("[fe80::1%eth0]:1", "fe80::1%eth0", "1");
    expect_split("[]:1", "", "1");
}

static void split_rejects_bad_addresses(void **state)
{
    expect_split_error("localhost", "missing port");
    expect_split_error("", "missing port");
    expect_split_error("::1:3476", "too many colons");
    expect_split_error("[::1]", "missing port");
    expect_split_error("[::1]x:1", "missing port");
    expect_split_error("[::1:1", "missing ']'");
    expect_split_error("a]:1", "unexpected bracket");
    expect_split_error("[a]:1]", "unexpected bracket");
}

static void tcp_rejects_port_out_of_range(void **state)
{
    nvd_error *err = NULL;

    assert_int_equal(listen_tcp("127.0.0.1:65536", &err), -1);
    assert_non_null(strstr(err->msg, "out of range"));
    nvd_error_free(err);
}

static void tcp_listens_on_loopback(void **state)
{
    nvd_error *err = NULL;
    struct sockaddr_in addr;
    socklen_t len = sizeof(addr);

    int fd = listen_tcp("localhost:0", &err);
    if (fd < 0)
        fail_msg("listen failed: %s", err->msg);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    assert_int_equal(addr.sin_family, AF_INET);
    assert_int_equal(ntohl(addr.sin_addr.s_addr), INADDR_LOOPBACK);
    assert_int_not_equal(ntohs(addr.sin_port), 0);
    close(fd);
}

static void unix_replaces_stale_socket(void **state)
{
    char *dir = make_tmpdir();
    char path[256];
    nvd_error *err = NULL;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    struct stat st;

    /* A socket bound and closed leaves a file that nothing listens on. */
    snprintf(path, sizeof(path), "%s/nvidia-docker.sock", dir);
    strcpy(addr.sun_path, path);
    int stale = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(stale, (struct sockaddr *)&addr, sizeof(addr)), 0);
    close(stale);

    int fd = listen_unix(path, &err);
    if (fd < 0)
        fail_msg("listen failed: %s", err->msg);

    /* Now a server listens there, so a second daemon must not take the path. */
    assert_int_equal(listen_unix(path, &err), -1);
    assert_non_null(strstr(err->msg, "another server is listening"));
    nvd_error_free(err);
    err = NULL;
    close(fd);

    unlink(path);
    run_ok("touch '%s'", path);
    assert_int_equal(listen_unix(path, &err), -1);
    assert_non_null(strstr(err->msg, "is not a socket"));
    nvd_error_free(err);
    assert_int_equal(stat(path, &st), 0);

    run_ok("rm -rf '%s'", dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_host_and_port),
        cmocka_unit_test(split_rejects_bad_addresses),
        cmocka_unit_test(tcp_rejects_port_out_of_range),
        cmocka_unit_test(tcp_listens_on_loopback),
        cmocka_unit_test(unix_replaces_stale_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
