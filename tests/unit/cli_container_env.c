/* Unit tests for a container's environment as docker merges it: the
 * image's Env, then --env-file, then -e. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "container_env.h"

#define V(a) ((char *const *)(a))

static json_t *image_config(void)
{
    return json_pack("{s:[s,s,s,s]}", "Env", "PATH=/usr/bin", "NVIDIA_VISIBLE_DEVICES=all",
                     "NVIDIA_REQUIRE_CUDA=cuda>=8.0", "KEEP=1");
}

/* Build the environment for args (after "run") and return it. */
static struct container_env build(const char *const *args, int count)
{
    json_t *config = image_config();
    struct container_env env;
    nvd_error *err = NULL;

    if (container_env_build(config, V(args), count, 1, &env, &err) < 0)
        fail_msg("failed: %s", err->msg);
    json_decref(config);
    return env;
}

static void test_env_image_only(void **state)
{
    (void)state;
    const char *args[] = { "run", "img" };
    struct container_env env = build(args, 2);

    assert_int_equal(env.count, 4);
    assert_string_equal(container_env_get(&env, "NVIDIA_VISIBLE_DEVICES"), "all");
    assert_string_equal(container_env_get(&env, "PATH"), "/usr/bin");
    assert_null(container_env_get(&env, "PAT"));
    assert_null(container_env_get(&env, "NVIDIA"));
    container_env_clear(&env);
}

static void test_env_options(void **state)
{
    (void)state;
    setenv("NVD_TEST_OURS", "from-us", 1);
    unsetenv("NVD_TEST_UNSET");
    unsetenv("KEEP");
    const char *args[] = {
        "run", "-e", "NVIDIA_VISIBLE_DEVICES=0", "--env=NVIDIA_VISIBLE_DEVICES=1",
        "-iteNEW=x=y", "-e", "NVD_TEST_OURS", "--env", "KEEP", "-e", "NVD_TEST_UNSET",
        "-e", "=bad", "img", "-e", "AFTER_IMAGE=1",
    };
    struct container_env env = build(args, 16);

    /* The last -e wins; a cluster ends with -e and its glued value. */
    assert_string_equal(container_env_get(&env, "NVIDIA_VISIBLE_DEVICES"), "1");
    assert_string_equal(container_env_get(&env, "NEW"), "x=y");
    /* "-e NAME" takes our value, or unsets the image's when we have none. */
    assert_string_equal(container_env_get(&env, "NVD_TEST_OURS"), "from-us");
    assert_null(container_env_get(&env, "KEEP"));
    assert_null(container_env_get(&env, "NVD_TEST_UNSET"));
    assert_null(container_env_get(&env, ""));
    /* The container's own arguments are no options. */
    assert_null(container_env_get(&env, "AFTER_IMAGE"));
    container_env_clear(&env);
    unsetenv("NVD_TEST_OURS");
}

static void test_env_file_then_options(void **state)
{
    (void)state;
    char path[] = "/tmp/nvd-unit-envfile-XXXXXX";
    int fd = mkstemp(path);
    static const char text[] =
        "\xEF\xBB\xBF# a comment\n"
        "\n"
        "   NVIDIA_VISIBLE_DEVICES=1\r\n"
        "NVIDIA_REQUIRE_CUDA= cuda>=9.0 \n"
        "NVD_TEST_FROM_FILE\n"
        "NVD_TEST_MISSING\n"
        "LAST=no newline";

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    setenv("NVD_TEST_FROM_FILE", "ours", 1);
    unsetenv("NVD_TEST_MISSING");

    /* -e comes before --env-file here, but docker applies files first. */
    const char *args[] = { "run", "-e", "NVIDIA_VISIBLE_DEVICES=0", "--env-file", path, "img" };
    struct container_env env = build(args, 6);

    assert_string_equal(container_env_get(&env, "NVIDIA_VISIBLE_DEVICES"), "0");
    assert_string_equal(container_env_get(&env, "NVIDIA_REQUIRE_CUDA"), " cuda>=9.0 ");
    assert_string_equal(container_env_get(&env, "NVD_TEST_FROM_FILE"), "ours");
    assert_null(container_env_get(&env, "NVD_TEST_MISSING"));
    assert_string_equal(container_env_get(&env, "LAST"), "no newline");
    container_env_clear(&env);
    unsetenv("NVD_TEST_FROM_FILE");
    unlink(path);
}

static void test_env_file_errors(void **state)
{
    (void)state;
    struct container_env env = { 0 };
    nvd_error *err = NULL;

    assert_int_equal(container_env_apply_file(&env, "f", "A B=1\n", 6, &err), -1);
    assert_string_equal(err->msg, "invalid --env-file f: the variable name \"A B\" on line 1 "
                                  "contains blanks");
    nvd_error_free(err);
    err = NULL;
    assert_int_equal(container_env_apply_file(&env, "f", "A=1\n=2\n", 7, &err), -1);
    assert_string_equal(err->msg, "invalid --env-file f: line 2 has no variable name");
    nvd_error_free(err);
    err = NULL;
    assert_int_equal(container_env_apply_file(&env, "f", "A=\0\n", 4, &err), -1);
    assert_non_null(strstr(err->msg, "NUL byte"));
    nvd_error_free(err);
    container_env_clear(&env);

    json_t *config = image_config();
    const char *args[] = { "run", "--env-file", "/nonexistent/nvd-env", "img" };
    err = NULL;
    assert_int_equal(container_env_build(config, V(args), 4, 1, &env, &err), -1);
    assert_non_null(strstr(err->msg, "cannot open --env-file /nonexistent/nvd-env"));
    nvd_error_free(err);
    json_decref(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_image_only),
        cmocka_unit_test(test_env_options),
        cmocka_unit_test(test_env_file_then_options),
        cmocka_unit_test(test_env_file_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
