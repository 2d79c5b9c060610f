/*
 * Unit tests for nvd_root_resolve_file(): the same file through openat2()
 * and through the realpath() fallback, for relative and absolute symlinks,
 * ".." above the root, and paths that name no regular file.
 */
#include "test_util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

#include "root_resolve.h"
#include "util.h"

static char *tmp;    /* realpath() of the test's directory */

static int setup(void **state)
{
    cleanup_free char *dir = make_tmpdir();
    tmp = realpath(dir, NULL);
    assert_non_null(tmp);
    run_ok("cd %s && mkdir -p root/usr/lib/x86_64-linux-gnu root/usr/bin outside && "
           "echo lib > root/usr/lib/x86_64-linux-gnu/libx.so.1.0 && "
           "ln -s libx.so.1.0 root/usr/lib/x86_64-linux-gnu/libx.so.1 && "
           "ln -s usr/lib root/lib && "
           "ln -s ../lib/x86_64-linux-gnu/libx.so.1 root/usr/bin/up && "
           "echo out > outside/real.so && "
           "ln -s %s/outside/real.so root/usr/lib/absolute.so && "
           "ln -s missing.so root/usr/lib/dangling.so && "
           "ln -s loop.so root/usr/lib/loop.so", tmp, tmp);
    return 0;
}

static int teardown(void **state)
{
    run_ok("rm -rf %s", tmp);
    free(tmp);
    return 0;
}

/* A path inside the root and the file it resolves to, under tmp, or NULL. */
struct resolve_case {
    const char *path;
    const char *file;
};

static const struct resolve_case resolve_cases[] = {
    { "/usr/lib/x86_64-linux-gnu/libx.so.1", "root/usr/lib/x86_64-linux-gnu/libx.so.1.0" },
    { "usr/lib/x86_64-linux-gnu/libx.so.1.0", "root/usr/lib/x86_64-linux-gnu/libx.so.1.0" },
    { "/lib/x86_64-linux-gnu/libx.so.1", "root/usr/lib/x86_64-linux-gnu/libx.so.1.0" },
    { "/usr/bin/up", "root/usr/lib/x86_64-linux-gnu/libx.so.1.0" },
    /* Leaving the root: realpath() resolves on the host, as before openat2(). */
    { "/usr/lib/absolute.so", "outside/real.so" },
    { "/../outside/real.so", "outside/real.so" },
    { "/usr/lib/missing.so", NULL },
    { "/usr/lib/dangling.so", NULL },
    { "/usr/lib/loop.so", NULL },
    { "/usr/lib", NULL },
    { "/usr/lib/x86_64-linux-gnu/libx.so.1.0/child", NULL },
    { "/", NULL },
};

/* Return whether this kernel has openat2() and lets this process call it. */
static bool have_openat2(void)
{
#ifdef SYS_openat2
    struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_BENEATH };
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));

    if (fd >= 0)
        close(fd);
    return fd >= 0;
#else
    return false;
#endif
}

/* Check every case on the root under tmp, with openat2() or with realpath() only. */
static void check_cases(bool walk_only)
{
    cleanup_free char *root_path = nvd_xasprintf("%s/root", tmp);
    struct nvd_root_dir root;

    nvd_root_dir_open(&root, root_path);
    assert_true(root.fd >= 0);
    root.walk_only = walk_only;
    for (size_t i = 0; i < sizeof(resolve_cases) / sizeof(resolve_cases[0]); i++) {
        const struct resolve_case *c = &resolve_cases[i];
        cleanup_free char *got = nvd_root_resolve_file(&root, c->path);

        if (!c->file) {
            if (got)
                fail_msg("%s resolved to %s, expected no file", c->path, got);
            continue;
        }
        cleanup_free char *want = nvd_xasprintf("%s/%s", tmp, c->file);
        if (!got)
            fail_msg("%s resolved to no file, expected %s", c->path, want);
        assert_string_equal(got, want);
    }
    /* Only a caller's choice or a kernel without openat2() switches to realpath(). */
    assert_int_equal(root.walk_only, walk_only || !have_openat2());
    nvd_root_dir_close(&root);
}

static void resolve_with_openat2(void **state)
{
    check_cases(false);
}

static void resolve_with_realpath_fallback(void **state)
{
    check_cases(true);
}

static void resolve_in_missing_root(void **state)
{
    cleanup_free char *root_path = nvd_xasprintf("%s/no-such-root", tmp);
    struct nvd_root_dir root;

    nvd_root_dir_open(&root, root_path);
    assert_int_equal(root.fd, -1);
    assert_null(nvd_root_resolve_file(&root, "/usr/lib/x86_64-linux-gnu/libx.so.1"));
    nvd_root_dir_close(&root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resolve_with_openat2),
        cmocka_unit_test(resolve_with_realpath_fallback),
        cmocka_unit_test(resolve_in_missing_root),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
