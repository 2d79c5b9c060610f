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

#endif /* NVD_TEST_UTIL_H */
