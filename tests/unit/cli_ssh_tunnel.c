/* Unit tests for the ssh child of the ssh transport, with a shell script
 * named ssh first in PATH that records its arguments and prints what a
 * failing ssh prints. The real ssh is tested end to end against sshd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ssh_tunnel.h"
#include "test_util.h"
#include "util.h"

static char *dir;
static char *old_path;

/* Write an ssh script into dir that runs body. */
static void write_ssh(const char *body)
{
    char *path = nvd_xasprintf("%s/ssh", dir);
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
    free(path);
}

static int group_setup(void **state)
{
    (void)state;
    dir = make_tmpdir();
    old_path = nvd_xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    char *path = nvd_xasprintf("%s:%s", dir, old_path);
    setenv("PATH", path, 1);
    free(path);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    setenv("PATH", old_path, 1);
    run_ok("rm -rf %s", dir);
    free(dir);
    free(old_path);
    return 0;
}

/* Parse value as NV_HOST into h. */
static void parse(const char *value, struct nv_host *h)
{
    assert_int_equal(nv_host_parse(value, h, NULL), 0);
}

static void test_ssh_arguments(void **state)
{
    (void)state;
    struct nv_host h;
    struct ssh_tunnel t;
    char *script = nvd_xasprintf("echo \"$*\" > %s/args", dir);

    write_ssh(script);
    parse("ssh://root@gpu-host:2222:8080", &h);
    assert_int_equal(ssh_tunnel_open(&h, &t, NULL), 0);
    free(ssh_tunnel_close(&t, true));

    char *args_path = nvd_xasprintf("%s/args", dir);
    char line[256] = "";
    FILE *f = fopen(args_path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_string_equal(line, "-W localhost:8080 -o ConnectTimeout=10 -p 2222 -l root -- gpu-host\n");

    char *check = ssh_tunnel_check_command(&h);
    assert_string_equal(check, "ssh -p 2222 -l root gpu-host true");
    free(check);
    free(args_path);
    free(script);
    nv_host_clear(&h);
}

static void test_ssh_defaults_left_to_ssh(void **state)
{
    (void)state;
    struct nv_host h;

    parse("ssh://gpu-host:", &h);
    char *check = ssh_tunnel_check_command(&h);
    assert_string_equal(check, "ssh gpu-host true");
    free(check);
    nv_host_clear(&h);
}

static void test_ssh_failure_reason(void **state)
{
    (void)state;
    static const struct { const char *stderr_text, *reason; } cases[] = {
        { "@@@@@@\\nWARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!\\n@@@@@@\\n"
          "Host key for [h]:22 has changed.\\nHost key verification failed.\\n",
          "Host key for [h]:22 has changed.; Host key verification failed" },
        { "Warning: Permanently added [h]:22 (ED25519) to the list of known hosts.\\r\\n"
          "root@h: Permission denied (publickey).\\r\\n",
          "root@h: Permission denied (publickey)" },
        { "", "" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct nv_host h;
        struct ssh_tunnel t;
        char *script = nvd_xasprintf("printf '%s' >&2\nexit 255", cases[i].stderr_text);

        write_ssh(script);
        parse("ssh://h:", &h);
        assert_int_equal(ssh_tunnel_open(&h, &t, NULL), 0);
        char *reason = ssh_tunnel_close(&t, true);
        assert_string_equal(reason, cases[i].reason);
        assert_int_equal(t.pid, -1);
        free(reason);
        free(script);
        nv_host_clear(&h);
    }
}

static void test_ssh_stream(void **state)
{
    (void)state;
    struct nv_host h;
    struct ssh_tunnel t;
    char buf[16] = "";

    /* An ssh that answers what the far end would. */
    write_ssh("read line; echo \"got $line\"");
    parse("ssh://h:", &h);
    assert_int_equal(ssh_tunnel_open(&h, &t, NULL), 0);
    assert_int_equal(write(t.fd, "hi\n", 3), 3);
    for (int tries = 0; tries < 500 && strchr(buf, '\n') == NULL; tries++) {
        ssize_t n = read(t.fd, buf + strlen(buf), sizeof(buf) - 1 - strlen(buf));
        if (n <= 0)
            usleep(10000);
    }
    assert_string_equal(buf, "got hi\n");
    free(ssh_tunnel_close(&t, false));
    nv_host_clear(&h);
}

static void test_ssh_missing(void **state)
{
    (void)state;
    struct nv_host h;
    struct ssh_tunnel t;
    nvd_error *err = NULL;

    setenv("PATH", "/nonexistent", 1);
    parse("ssh://h:", &h);
    assert_int_equal(ssh_tunnel_open(&h, &t, &err), -1);
    assert_non_null(strstr(err->msg, "ssh was not found in PATH"));
    assert_int_equal(t.pid, -1);
    nvd_error_free(err);
    nv_host_clear(&h);

    char *path = nvd_xasprintf("%s:%s", dir, old_path);
    setenv("PATH", path, 1);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_arguments),
        cmocka_unit_test(test_ssh_defaults_left_to_ssh),
        cmocka_unit_test(test_ssh_failure_reason),
        cmocka_unit_test(test_ssh_stream),
        cmocka_unit_test(test_ssh_missing),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
