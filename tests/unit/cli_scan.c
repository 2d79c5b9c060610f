/* Unit tests for the docker command-line scanner of nvidia-docker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"

#define MAX_ARGS 16

struct scan_case {
    const char *args[MAX_ARGS];     /* NULL-terminated */
    enum scan_command command;
    int command_index;
    int image_index;
};

static const struct scan_case cases[] = {
    /* Sub-commands and pass-through. */
    { { NULL }, SCAN_NONE, -1, -1 },
    { { "--help", NULL }, SCAN_NONE, -1, -1 },
    { { "-v", NULL }, SCAN_NONE, -1, -1 },
    { { "ps", "-a", NULL }, SCAN_OTHER, 0, -1 },
    { { "exec", "-it", "c", "sh", NULL }, SCAN_OTHER, 0, -1 },
    { { "version", NULL }, SCAN_VERSION, 0, -1 },
    { { "container", NULL }, SCAN_OTHER, 0, -1 },
    { { "container", "ls", NULL }, SCAN_OTHER, 0, -1 },
    { { "container", "version", NULL }, SCAN_OTHER, 0, -1 },
    { { "image", "ls", NULL }, SCAN_OTHER, 0, -1 },

    /* Global options before the sub-command. */
    { { "-H", "unix:///x", "run", "img", NULL }, SCAN_RUN, 2, 3 },
    { { "-Hunix:///x", "run", "img", NULL }, SCAN_RUN, 1, 2 },
    { { "--host=unix:///x", "run", "img", NULL }, SCAN_RUN, 1, 2 },
    { { "-D", "--tls", "--tlsverify", "run", "img", NULL }, SCAN_RUN, 3, 4 },
    { { "--config", "/c", "-l", "debug", "--context", "x", "run", "img", NULL },
      SCAN_RUN, 6, 7 },
    { { "--tlscacert", "a", "--tlscert", "b", "--tlskey", "c", "ps", NULL }, SCAN_OTHER, 6, -1 },
    { { "-c", "run", "ps", NULL }, SCAN_OTHER, 2, -1 },
    { { "-Dc", "ctx", "run", "img", NULL }, SCAN_RUN, 2, 3 },
    { { "--", "run", "img", NULL }, SCAN_RUN, 1, 2 },

    /* run and create. */
    { { "run", "img", NULL }, SCAN_RUN, 0, 1 },
    { { "create", "img", NULL }, SCAN_CREATE, 0, 1 },
    { { "container", "run", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "container", "create", "--rm", "img", NULL }, SCAN_CREATE, 0, 3 },
    { { "run", "--rm", "-it", "-v", "/a:/b", "img", "cmd", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "-p8080:80", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-p", "8080:80", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-itd", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-e", "X=1", "--env=Y", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "-ite", "FOO=1", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-iteFOO=1", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-e=FOO=1", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-vit", "img", "cmd", NULL }, SCAN_RUN, 0, 2 },
    { { "create", "--rm", "-it", "--user", "1000:1000", "alpine", NULL }, SCAN_CREATE, 0, 5 },
    { { "create", "-it", "--rm", "--user", "1000:1000", "alpine", NULL }, SCAN_CREATE, 0, 5 },
    { { "run", "--", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "--rm", "--", "-img", "x", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--", NULL }, SCAN_RUN, 0, -1 },
    { { "run", "--rm", "--name", "x", "--gpus", "all", "img", "nvidia-smi", NULL }, SCAN_RUN, 0, 6 },
    { { "run", "--gpus=all", "--name=x", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--network", "host", "--net", "none", "-u", "0", "-w", "/", "img", NULL },
      SCAN_RUN, 0, 9 },
    { { "run", "--mount", "type=bind,src=/a,dst=/b", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-m", "1g", "--cpus", "2", "--platform", "linux/amd64", "img", NULL }, SCAN_RUN, 0, 7 },
    { { "run", "--pull", "never", "--ulimit", "nofile=1", "--log-opt", "a=b", "img", NULL },
      SCAN_RUN, 0, 7 },
    { { "run", "--cgroupns", "host", "--device", "/dev/x", "-l", "a=b", "img", NULL }, SCAN_RUN, 0, 7 },
    { { "run", "--entrypoint", "sh", "--label", "k=v", "-a", "stdout", "img", NULL }, SCAN_RUN, 0, 7 },
    { { "run", "--privileged", "--init", "--read-only", "--sig-proxy=false", "img", NULL },
      SCAN_RUN, 0, 5 },
    { { "run", "--unknown-flag", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "--rm=false", "-d", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-h", "box", "-c", "512", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "-", NULL }, SCAN_RUN, 0, 1 },

    /* No image: help, or options without one. */
    { { "run", "--help", NULL }, SCAN_RUN, 0, -1 },
    { { "run", NULL }, SCAN_RUN, 0, -1 },
    { { "run", "-it", NULL }, SCAN_RUN, 0, -1 },
    { { "run", "-e", NULL }, SCAN_RUN, 0, -1 },
    { { "run", "--name", NULL }, SCAN_RUN, 0, -1 },

    /* Empty arguments are positional and never crash. */
    { { "", NULL }, SCAN_OTHER, 0, -1 },
    { { "run", "", NULL }, SCAN_RUN, 0, 1 },
    { { "run", "-e", "", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--name", "", "", NULL }, SCAN_RUN, 0, 3 },
    { { "-H", "", "run", "img", NULL }, SCAN_RUN, 2, 3 },
};

/* Return the number of arguments of a case. */
static int case_count(const struct scan_case *c)
{
    int n = 0;
    while (c->args[n])
        n++;
    return n;
}

/* Render a case's arguments on one line for failure messages. */
static void describe(const struct scan_case *c, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; c->args[i] && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "[%s]", c->args[i]);
}

static void test_scan_table(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const struct scan_case *c = &cases[k];
        struct scan_result r;
        char line[512];

        describe(c, line, sizeof(line));
        cli_scan((char *const *)c->args, case_count(c), &r);
        if ((int)r.command != (int)c->command || r.command_index != c->command_index ||
            r.image_index != c->image_index) {
            print_error("case %zu %s: command %d at %d, image at %d; expected %d at %d, image at %d\n",
                        k, line, r.command, r.command_index, r.image_index,
                        c->command, c->command_index, c->image_index);
        }
        assert_int_equal(r.command, c->command);
        assert_int_equal(r.command_index, c->command_index);
        assert_int_equal(r.image_index, c->image_index);
        if (c->image_index < 0)
            assert_int_equal(r.insert_index, -1);
        else if (r.insert_index != c->image_index)
            assert_string_equal(c->args[r.insert_index], "--");
    }
}

static void test_scan_insert_before_dashes(void **state)
{
    (void)state;
    struct scan_result r;

    const char *a1[] = { "run", "--rm", "--", "img", "cmd" };
    cli_scan((char *const *)a1, 5, &r);
    assert_int_equal(r.image_index, 3);
    assert_int_equal(r.insert_index, 2);

    const char *a2[] = { "run", "--rm", "img", "--", "x" };
    cli_scan((char *const *)a2, 5, &r);
    assert_int_equal(r.image_index, 2);
    assert_int_equal(r.insert_index, 2);

    /* A "--" that is the value of -e is not the end of the options. */
    const char *a3[] = { "run", "-e", "--", "img" };
    cli_scan((char *const *)a3, 4, &r);
    assert_int_equal(r.image_index, 3);
    assert_int_equal(r.insert_index, 3);

    const char *a4[] = { "-D", "--", "container", "create", "--", "img" };
    cli_scan((char *const *)a4, 6, &r);
    assert_int_equal(r.command, SCAN_CREATE);
    assert_int_equal(r.command_index, 2);
    assert_int_equal(r.image_index, 5);
    assert_int_equal(r.insert_index, 4);

    const char *a5[] = { "run", "--" };
    cli_scan((char *const *)a5, 2, &r);
    assert_int_equal(r.image_index, -1);
    assert_int_equal(r.insert_index, -1);
}

static void test_scan_engine_options(void **state)
{
    (void)state;
    struct scan_result r;

    const char *a1[] = { "-H", "unix:///x", "--context=ctx", "--config", "/cfg", "run", "img" };
    cli_scan((char *const *)a1, 7, &r);
    assert_string_equal(r.host, "unix:///x");
    assert_int_equal(r.host_count, 1);
    assert_string_equal(r.context, "ctx");
    assert_string_equal(r.config, "/cfg");

    const char *a2[] = { "-Htcp://a:1", "--host=unix:///b", "run", "img" };
    cli_scan((char *const *)a2, 4, &r);
    assert_string_equal(r.host, "unix:///b");
    assert_int_equal(r.host_count, 2);
    assert_null(r.context);

    const char *a3[] = { "-H=unix:///c", "-cfoo", "ps" };
    cli_scan((char *const *)a3, 3, &r);
    assert_string_equal(r.host, "unix:///c");
    assert_string_equal(r.context, "foo");

    /* -H after the sub-command belongs to it, not to docker. */
    const char *a4[] = { "run", "-h", "x", "img" };
    cli_scan((char *const *)a4, 4, &r);
    assert_null(r.host);
    assert_int_equal(r.host_count, 0);
}

static void test_scan_help_flag(void **state)
{
    (void)state;
    struct scan_result r;

    const char *a1[] = { "run", "--help", "img" };
    cli_scan((char *const *)a1, 3, &r);
    assert_true(r.help);
    assert_int_equal(r.image_index, 2);

    const char *a2[] = { "run", "-h", "--help", "img" };
    cli_scan((char *const *)a2, 4, &r);
    assert_false(r.help);
    assert_int_equal(r.image_index, 3);
}

struct collected {
    int count;
    char names[8][32];
    const char *values[8];
};

static void collect(const struct scan_option *opt, void *ctx)
{
    struct collected *c = ctx;
    if (c->count >= 8)
        return;
    snprintf(c->names[c->count], sizeof(c->names[0]), "%.*s", (int)opt->name_len, opt->name);
    c->values[c->count] = opt->value;
    c->count++;
}

static void test_scan_options_values(void **state)
{
    (void)state;
    struct collected c = { 0 };
    const char *args[] = { "-ite", "A=1", "--env=B", "-p8080:80", "--name", "n", "-d=true", "img" };

    int image = scan_options((char *const *)args, 8, 0, &scan_run_grammar, collect, &c);
    assert_int_equal(image, 7);
    assert_int_equal(c.count, 7);
    assert_string_equal(c.names[0], "i");
    assert_null(c.values[0]);
    assert_string_equal(c.names[1], "t");
    assert_string_equal(c.names[2], "e");
    assert_string_equal(c.values[2], "A=1");
    assert_string_equal(c.names[3], "env");
    assert_string_equal(c.values[3], "B");
    assert_string_equal(c.names[4], "p");
    assert_string_equal(c.values[4], "8080:80");
    assert_string_equal(c.names[5], "name");
    assert_string_equal(c.values[5], "n");
    assert_string_equal(c.names[6], "d");
    assert_string_equal(c.values[6], "true");
}

static void test_scan_options_no_callback(void **state)
{
    (void)state;
    const char *args[] = { "--rm", "-v", "/a:/b", "img" };
    assert_int_equal(scan_options((char *const *)args, 4, 0, &scan_run_grammar, NULL, NULL), 3);
    assert_int_equal(scan_options((char *const *)args, 4, 3, &scan_run_grammar, NULL, NULL), 3);
    assert_int_equal(scan_options((char *const *)args, 4, 4, &scan_run_grammar, NULL, NULL), -1);

    const char *dashes[] = { "-t", "--", "img" };
    assert_int_equal(scan_options((char *const *)dashes, 3, 0, &scan_run_grammar, NULL, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_table),
        cmocka_unit_test(test_scan_insert_before_dashes),
        cmocka_unit_test(test_scan_engine_options),
        cmocka_unit_test(test_scan_help_flag),
        cmocka_unit_test(test_scan_options_values),
        cmocka_unit_test(test_scan_options_no_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
