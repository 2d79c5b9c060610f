/* Unit tests for NV_DOCKER splitting, the PATH lookup and helper runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "docker_cmd.h"

static void test_words_split(void **state)
{
    (void)state;
    size_t n;
    char **w;

    w = docker_words_split("  sudo\tdocker  -D \n", &n);
    assert_int_equal(n, 3);
    assert_string_equal(w[0], "sudo");
    assert_string_equal(w[1], "docker");
    assert_string_equal(w[2], "-D");
    assert_null(w[3]);
    docker_words_free(w);

    w = docker_words_split("docker", &n);
    assert_int_equal(n, 1);
    assert_string_equal(w[0], "docker");
    docker_words_free(w);

    /* Quotes are not special, as in 1.0. */
    w = docker_words_split("a 'b c'", &n);
    assert_int_equal(n, 3);
    assert_string_equal(w[1], "'b");
    assert_string_equal(w[2], "c'");
    docker_words_free(w);
}

static void test_words_split_default(void **state)
{
    (void)state;
    static const char *const blank[] = { "", " ", "\t\n " };
    size_t n;
    char **w;

    for (size_t i = 0; i < 3; i++) {
        w = docker_words_split(blank[i], &n);
        assert_int_equal(n, 1);
        assert_string_equal(w[0], "docker");
        assert_null(w[1]);
        docker_words_free(w);
    }
    w = docker_words_split(NULL, &n);
    assert_int_equal(n, 1);
    assert_string_equal(w[0], "docker");
    docker_words_free(w);
}

static void test_look_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/nvd-cli-test-XXXXXX";
    nvd_error *err = NULL;
    char *path;

    assert_non_null(mkdtemp(dir));
    char *exe = nvd_xasprintf("%s/fake-docker", dir);
    char *plain = nvd_xasprintf("%s/not-executable", dir);
    char *subdir = nvd_xasprintf("%s/a-dir", dir);
    FILE *f = fopen(exe, "w");
    fclose(f);
    chmod(exe, 0755);
    f = fopen(plain, "w");
    fclose(f);
    chmod(plain, 0644);
    mkdir(subdir, 0755);

    char *path_env = nvd_xasprintf("/nonexistent::%s:/bin", dir);
    path = docker_look_path("fake-docker", path_env, NULL);
    assert_string_equal(path, exe);
    free(path);

    /* A file without an execute bit and a directory are skipped. */
    path = docker_look_path("not-executable", path_env, &err);
    assert_null(path);
    assert_string_equal(err->msg, "exec: \"not-executable\": executable file not found in $PATH");
    nvd_error_free(err);
    err = NULL;
    path = docker_look_path("a-dir", path_env, &err);
    assert_null(path);
    nvd_error_free(err);
    err = NULL;

    /* A word with a slash is used as it is. */
    path = docker_look_path(exe, "", NULL);
    assert_string_equal(path, exe);
    free(path);
    path = docker_look_path("/nonexistent/docker", "/bin", &err);
    assert_null(path);
    assert_string_equal(err->msg, "exec: \"/nonexistent/docker\": No such file or directory");
    nvd_error_free(err);
    err = NULL;

    /* No PATH finds nothing. */
    path = docker_look_path("fake-docker", NULL, &err);
    assert_null(path);
    nvd_error_free(err);

    unlink(exe);
    unlink(plain);
    rmdir(subdir);
    rmdir(dir);
    free(exe);
    free(plain);
    free(subdir);
    free(path_env);
}

static void test_run_captures_output(void **state)
{
    (void)state;
    struct docker_cmd d;
    struct docker_result res;
    const char *globals[] = { "-c" };
    const char *cmd[] = { "echo out; echo 'Error: it failed' >&2; exit 3", NULL };

    /* "sh -c <script>" replaces "docker <globals> <cmd>" here. */
    assert_int_equal(docker_cmd_init(&d, "sh", "/usr/bin:/bin", NULL), 0);
    assert_int_equal(docker_run(&d, (char *const *)globals, 1, cmd, DOCKER_OUT_CAPTURE, &res, NULL), 0);
    assert_int_equal(res.status, 3);
    assert_string_equal(res.out.data, "out\n");
    assert_string_equal(res.err.data, "Error: it failed\n");

    char *msg = docker_result_message(&res, "inspect");
    assert_string_equal(msg, "it failed");
    free(msg);
    docker_result_clear(&res);

    const char *quiet[] = { "echo out; exit 0", NULL };
    assert_int_equal(docker_run(&d, (char *const *)globals, 1, quiet, DOCKER_OUT_DISCARD, &res, NULL), 0);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.out.len, 0);
    assert_int_equal(res.err.len, 0);
    docker_result_clear(&res);

    /* stdin is /dev/null, so a helper cannot consume the container's input. */
    const char *reader[] = { "cat; exit 0", NULL };
    assert_int_equal(docker_run(&d, (char *const *)globals, 1, reader, DOCKER_OUT_CAPTURE, &res, NULL), 0);
    assert_int_equal(res.out.len, 0);
    docker_result_clear(&res);
    docker_cmd_clear(&d);
}

static void test_result_message(void **state)
{
    (void)state;
    struct docker_result res = { .status = 1 };
    char *msg;

    msg = docker_result_message(&res, "pull");
    assert_string_equal(msg, "docker pull exited with status 1");
    free(msg);

    nvd_buf_puts(&res.err, "  \nError response from daemon: pull access denied\r\nSee help.\n");
    msg = docker_result_message(&res, "pull");
    assert_string_equal(msg, "Error response from daemon: pull access denied See help.");
    free(msg);
    docker_result_clear(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_split),
        cmocka_unit_test(test_words_split_default),
        cmocka_unit_test(test_look_path),
        cmocka_unit_test(test_run_captures_output),
        cmocka_unit_test(test_result_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
