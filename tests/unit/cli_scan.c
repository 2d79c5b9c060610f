/* Unit tests for the docker command-line scanner of nvidia-docker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"

#define MAX_ARGS 24

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
    { { "run", "--unknown-flag", "img", NULL }, SCAN_RUN, 0, -1 },
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

/*
 * Command lines that users run, from docker's reference pages, NVIDIA's
 * and framework images' instructions, nvidia-docker 1.0's bug reports (a
 * -v value taken for the image; create --rm), and awkward forms.
 */
static const struct scan_case real_cases[] = {
    { { "run", "--rm", "nvidia/cuda", "nvidia-smi", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-v", "/home/user/data:/data", "-it", "nvidia/cuda", "bash", NULL }, SCAN_RUN, 0, 4 },
    { { "create", "-it", "--rm", "--user", "1000:1000", "alpine", NULL }, SCAN_CREATE, 0, 5 },
    { { "run", "--name=x", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-p", "80:80", "-d", "nginx", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "--entrypoint", "", "img", "sh", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-e", "URL=http://a/?x=1&y=2", "--env", "B=", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--rm=false", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "--privileged=true", "--read-only=1", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--health-cmd", "curl -f http://localhost/ || exit 1", "--health-interval", "5m",
        "--health-retries=3", "img", NULL }, SCAN_RUN, 0, 6 },
    { { "run", "--rm", "--", "img", "--rm", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--name", "cuda", "cuda", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-v", "cuda", "cuda", "nvidia-smi", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--platform", "linux/amd64", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--pull", "always", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--rm", "--gpus", "all", "nvidia/cuda:12.2.0-base-ubuntu22.04", "nvidia-smi", NULL },
      SCAN_RUN, 0, 4 },
    { { "run", "--gpus", "\"device=1,2\"", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-d", "-p", "127.0.0.1:8888:8888", "-v", "/src:/notebooks", "--name", "tf",
        "tensorflow/tensorflow:latest-gpu", NULL }, SCAN_RUN, 0, 8 },
    { { "run", "-ti", "--rm", "-e", "DISPLAY=:0", "-v", "/tmp/.X11-unix:/tmp/.X11-unix", "img",
        "glxgears", NULL }, SCAN_RUN, 0, 7 },
    { { "run", "--ipc=host", "--ulimit", "memlock=-1", "--ulimit", "stack=67108864", "-it", "--rm",
        "nvcr.io/nvidia/pytorch:23.10-py3", NULL }, SCAN_RUN, 0, 8 },
    { { "run", "--shm-size=1g", "--ulimit", "memlock=-1", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "-itd", "--name", "c", "img", "bash", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "-it", "-e", "X=1", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "-ePATH=x", "img", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-u", "1000:1000", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--net=host", "--privileged", "-v", "/dev:/dev", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--device", "/dev/fuse", "--cap-add", "SYS_ADMIN", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--runtime=nvidia", "-e", "NVIDIA_VISIBLE_DEVICES=0", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "-w", "/workspace", "-v", "/src:/workspace", "img", "python", "train.py", NULL },
      SCAN_RUN, 0, 5 },
    { { "-H", "tcp://10.0.0.1:2376", "--tlsverify", "run", "img", NULL }, SCAN_RUN, 3, 4 },
    { { "--context", "remote", "run", "img", NULL }, SCAN_RUN, 2, 3 },
    { { "-c", "remote", "container", "run", "--rm", "img", NULL }, SCAN_RUN, 2, 5 },
    { { "--config", "/tmp/cfg", "-D", "run", "img", NULL }, SCAN_RUN, 3, 4 },
    { { "-l", "debug", "run", "img", NULL }, SCAN_RUN, 2, 3 },
    { { "--tlscacert=ca.pem", "--tlscert=cert.pem", "--tlskey=key.pem", "--tlsverify",
        "-H=tcp://h:2376", "run", "img", NULL }, SCAN_RUN, 5, 6 },
    { { "container", "create", "--name", "x", "-t", "img", NULL }, SCAN_CREATE, 0, 5 },
    { { "run", "--memory", "4g", "--memory-swap", "4g", "--cpus", "1.5", "img", NULL }, SCAN_RUN, 0, 7 },
    { { "run", "--log-driver", "json-file", "--log-opt", "max-size=10m", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--restart", "unless-stopped", "-d", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "--mount", "type=bind,source=/a,target=/b", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--tmpfs", "/run:rw,noexec", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--add-host", "host.docker.internal:host-gateway", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-a", "stdin", "-a", "stdout", "-i", "-t", "img", NULL }, SCAN_RUN, 0, 7 },
    { { "run", "--sig-proxy=false", "--init", "--rm", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "--cidfile", "/tmp/cid", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-q", "--pull=missing", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--label-file", "l.txt", "--env-file", "e.txt", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--detach-keys", "ctrl-x", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "--stop-signal", "SIGINT", "--stop-timeout", "30", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "-h", "host", "-m", "512m", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--network-alias", "a", "--network", "n", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--use-api-socket", "--annotation", "a=b", "img", NULL }, SCAN_RUN, 0, 4 },
    { { "run", "--volumes-from", "c", "-v", "/a:/b:ro,z", "img", NULL }, SCAN_RUN, 0, 5 },
    { { "run", "--entrypoint=/bin/sh", "img", "-c", "echo x", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "-it", "img", "-e", "X", NULL }, SCAN_RUN, 0, 2 },
    { { "run", "--disable-content-trust", "--oom-kill-disable", "--no-healthcheck", "-P", "img", NULL },
      SCAN_RUN, 0, 5 },
    { { "run", "--cgroupns=private", "--userns", "host", "--uts", "host", "--pid=host", "img", NULL },
      SCAN_RUN, 0, 7 },
    { { "run", "--security-opt", "seccomp=unconfined", "--sysctl", "net.ipv4.ip_forward=1", "img", NULL },
      SCAN_RUN, 0, 5 },
    { { "run", "--device-cgroup-rule", "c 195:* rmw", "--group-add", "video", "img", NULL },
      SCAN_RUN, 0, 5 },
    { { "run", "--cpuset-cpus", "0-3", "--cpu-shares", "512", "--pids-limit", "100", "img", NULL },
      SCAN_RUN, 0, 7 },
    { { "run", "--dns", "8.8.8.8", "--dns-search", "x", "--dns-option", "ndots:1", "img", NULL },
      SCAN_RUN, 0, 7 },
    { { "run", "--ip", "10.0.0.2", "--ip6", "::2", "--mac-address", "92:d0:c6:0a:29:33", "img", NULL },
      SCAN_RUN, 0, 7 },
    { { "run", "--blkio-weight", "300", "--device-read-bps", "/dev/sda:1mb", "img", NULL },
      SCAN_RUN, 0, 5 },
    /* The single-dash long forms of docker 1.9-1.12, which docker 1.13
     * and later reject. */
    { { "run", "-name", "x", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-rm", "-name=x", "img", NULL }, SCAN_RUN, 0, 3 },
    { { "run", "-dns", "8.8.8.8", "img", NULL }, SCAN_RUN, 0, 3 },
    /* Global options that make docker print help or its version. */
    { { "--version", NULL }, SCAN_NONE, -1, -1 },
    { { "-D", "version", "--format", "{{.Client.Version}}", NULL }, SCAN_VERSION, 1, -1 },
    { { "-H", "unix:///x", "version", NULL }, SCAN_VERSION, 2, -1 },
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

/* Check every case of a table against cli_scan(). */
static void check_table(const struct scan_case *table, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const struct scan_case *c = &table[k];
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

static void test_scan_table(void **state)
{
    (void)state;
    check_table(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_scan_real_command_lines(void **state)
{
    (void)state;
    check_table(real_cases, sizeof(real_cases) / sizeof(real_cases[0]));
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

/* Scan a NULL-terminated argument list. */
static void scan_list(const char *const *args, struct scan_result *r)
{
    int n = 0;
    while (args[n])
        n++;
    cli_scan((char *const *)args, n, r);
}

static void test_scan_unknown_options(void **state)
{
    (void)state;
    struct scan_result r;

    /* A value of an option the grammar lacks could be the image: no image. */
    const char *a1[] = { "run", "--new-flag", "x", "img", NULL };
    scan_list(a1, &r);
    assert_int_equal(r.command, SCAN_RUN);
    assert_int_equal(r.unknown_index, 1);
    assert_int_equal(r.image_index, -1);
    assert_int_equal(r.insert_index, -1);

    /* With "=value" there is no doubt. */
    const char *a2[] = { "run", "--new-flag=x", "img", NULL };
    scan_list(a2, &r);
    assert_int_equal(r.unknown_index, -1);
    assert_int_equal(r.image_index, 2);

    /* An unknown letter in a cluster, which pflag rejects. */
    const char *a3[] = { "run", "-itX", "img", NULL };
    scan_list(a3, &r);
    assert_int_equal(r.unknown_index, 1);
    assert_int_equal(r.image_index, -1);

    const char *a4[] = { "run", "-Xe", "A=1", "img", NULL };
    scan_list(a4, &r);
    assert_int_equal(r.unknown_index, 1);
    assert_int_equal(r.image_index, -1);

    /* "---x" is no docker option. */
    const char *a5[] = { "run", "---rm", "img", NULL };
    scan_list(a5, &r);
    assert_int_equal(r.unknown_index, 1);
    assert_int_equal(r.image_index, -1);

    /* Before the sub-command, the sub-command itself is in doubt. */
    const char *a6[] = { "--new-global", "run", "img", NULL };
    scan_list(a6, &r);
    assert_int_equal(r.command, SCAN_OTHER);
    assert_int_equal(r.command_index, -1);
    assert_int_equal(r.unknown_index, 0);
    assert_int_equal(r.image_index, -1);

    const char *a7[] = { "--new-global", "version", NULL };
    scan_list(a7, &r);
    assert_int_equal(r.command, SCAN_OTHER);

    /* Options after the image belong to the container's command. */
    const char *a8[] = { "run", "img", "--new-flag", "x", NULL };
    scan_list(a8, &r);
    assert_int_equal(r.unknown_index, -1);
    assert_int_equal(r.image_index, 1);

    /* An unknown option as the last argument. */
    const char *a9[] = { "run", "img", NULL };
    scan_list(a9, &r);
    assert_int_equal(r.unknown_index, -1);
    const char *a10[] = { "run", "--new-flag", NULL };
    scan_list(a10, &r);
    assert_int_equal(r.unknown_index, 1);
    assert_int_equal(r.image_index, -1);
}

static void test_scan_help_values(void **state)
{
    (void)state;
    struct scan_result r;

    const char *a1[] = { "run", "--help=false", "img", NULL };
    scan_list(a1, &r);
    assert_false(r.help);
    assert_int_equal(r.image_index, 2);

    const char *a2[] = { "run", "--help=true", "img", NULL };
    scan_list(a2, &r);
    assert_true(r.help);

    const char *a3[] = { "--help", "run", "img", NULL };
    scan_list(a3, &r);
    assert_true(r.help);
    assert_int_equal(r.image_index, 2);

    const char *a4[] = { "-v", "run", "img", NULL };
    scan_list(a4, &r);
    assert_true(r.help);

    const char *a5[] = { "-h", "run", "img", NULL };
    scan_list(a5, &r);
    assert_true(r.help);

    const char *a6[] = { "--version=false", "-D", "run", "img", NULL };
    scan_list(a6, &r);
    assert_false(r.help);
    assert_int_equal(r.image_index, 3);
}

static void test_scan_pull_options(void **state)
{
    (void)state;
    struct scan_result r;

    const char *a1[] = { "run", "--pull", "never", "--platform=linux/arm64", "-q", "img", NULL };
    scan_list(a1, &r);
    assert_string_equal(r.pull, "never");
    assert_string_equal(r.platform, "linux/arm64");
    assert_true(r.quiet);
    assert_int_equal(r.image_index, 5);

    const char *a2[] = { "create", "--pull=always", "--pull", "missing", "-itq=false", "img", NULL };
    scan_list(a2, &r);
    assert_string_equal(r.pull, "missing");
    assert_null(r.platform);
    assert_false(r.quiet);

    const char *a3[] = { "--orchestrator", "swarm", "run", "img", NULL };
    scan_list(a3, &r);
    assert_int_equal(r.command_index, 2);
    assert_int_equal(r.image_index, 3);
    assert_null(r.pull);
}

/* Return true when name is in the NULL-terminated list. */
static bool listed(const char *const *list, const char *name)
{
    for (; list && *list; list++) {
        if (strcmp(*list, name) == 0)
            return true;
    }
    return false;
}

/* No option is both a value option and a boolean, none is listed twice,
 * and every single-dash name is a long option of the same grammar. */
static void check_grammar(const struct scan_grammar *g)
{
    for (const char *const *p = g->long_values; *p; p++) {
        assert_false(listed(g->long_bools, *p));
        assert_false(listed(p + 1, *p));
    }
    for (const char *const *p = g->long_bools; *p; p++)
        assert_false(listed(p + 1, *p));
    for (const char *c = g->short_values; *c; c++) {
        assert_null(strchr(g->short_bools, *c));
        assert_null(strchr(c + 1, *c));
    }
    for (const char *const *p = g->single_dash; p && *p; p++)
        assert_true(listed(g->long_values, *p) || listed(g->long_bools, *p));
}

static void test_scan_grammar_tables(void **state)
{
    (void)state;
    check_grammar(&scan_global_grammar);
    check_grammar(&scan_run_grammar);
}

/* Every option of the tables is known, with the right kind. */
static void test_scan_known_flags(void **state)
{
    (void)state;
    struct collected c = { 0 };
    const char *args[] = { "--gpus", "all", "--rm", "-d", "-P", "img" };

    assert_int_equal(scan_options((char *const *)args, 6, 0, &scan_run_grammar, collect, &c), 5);
    assert_int_equal(c.count, 4);
    assert_string_equal(c.values[0], "all");
    assert_null(c.values[1]);
    assert_null(c.values[2]);
    assert_null(c.values[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_table),
        cmocka_unit_test(test_scan_real_command_lines),
        cmocka_unit_test(test_scan_unknown_options),
        cmocka_unit_test(test_scan_help_values),
        cmocka_unit_test(test_scan_known_flags),
        cmocka_unit_test(test_scan_pull_options),
        cmocka_unit_test(test_scan_grammar_tables),
        cmocka_unit_test(test_scan_insert_before_dashes),
        cmocka_unit_test(test_scan_engine_options),
        cmocka_unit_test(test_scan_help_flag),
        cmocka_unit_test(test_scan_options_values),
        cmocka_unit_test(test_scan_options_no_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
