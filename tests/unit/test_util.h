/* test_util.h: helpers shared by the unit tests. */
#ifndef NVD_TEST_UTIL_H
#define NVD_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

/* Run a shell command built from fmt; fail the test if it does not exit 0. */
static inline void run_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void run_ok(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

/* Make a new temporary directory; the caller removes it. */
static inline char *make_tmpdir(void)
{
    char *dir = strdup("/tmp/nvd-unit-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* The build directory and a temporary directory of a group of nvd-sim tests. */
static const char *build_dir __attribute__((unused));
static char *tmp_dir __attribute__((unused));

/* Set build_dir from NVD_BUILD_ROOT and make tmp_dir, for a test group. */
static inline int sim_group_setup(void **state)
{
    build_dir = getenv("NVD_BUILD_ROOT") ? getenv("NVD_BUILD_ROOT") : "build";
    tmp_dir = make_tmpdir();
    return 0;
}

/* Remove tmp_dir at the end of a test group. */
static inline int sim_group_teardown(void **state)
{
    run_ok("rm -rf %s", tmp_dir);
    free(tmp_dir);
    return 0;
}

/* Skip the current test unless it runs as root, which nvd-sim needs. */
#define SKIP_UNLESS_ROOT()                                                 \
    do {                                                                   \
        if (geteuid() != 0) {                                              \
            print_message("nvd-sim needs root (mknod, ldconfig -r)\n");    \
            skip();                                                        \
        }                                                                  \
    } while (0)

#endif /* NVD_TEST_UTIL_H */
