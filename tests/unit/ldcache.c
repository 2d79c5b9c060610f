/* Unit tests for the ld.so.cache reader, on caches written by the real ldconfig. */
#include "test_util.h"

#include "ldcache.h"
#include "util.h"

struct seen {
    int count;
    int libz64;
    char path[512];
};

static int collect(const char *soname, const char *path, enum nvd_ldcache_arch arch, void *ctx)
{
    struct seen *s = ctx;

    s->count++;
    if (strcmp(soname, "libz.so.1") == 0 && arch == NVD_ARCH_X86_64) {
        s->libz64++;
        snprintf(s->path, sizeof(s->path), "%s", path);
    }
    return 0;
}

/* Lay out a root holding libz and write its cache in the given ldconfig format. */
static char *make_root(const char *format)
{
    char *root = make_tmpdir();

    run_ok("mkdir -p %s/etc %s/usr/lib/x86_64-linux-gnu && "
           "cp -L /lib/x86_64-linux-gnu/libz.so.1 %s/usr/lib/x86_64-linux-gnu/libz.so.1.2.13 && "
           "echo /usr/lib/x86_64-linux-gnu > %s/etc/ld.so.conf && "
           "ldconfig -r %s -c %s",
           root, root, root, root, root, format);
    return root;
}

static void check_format(const char *format)
{
    cleanup_free char *root = make_root(format);
    cleanup_free void *data = NULL;
    size_t size = 0;
    nvd_error *err = NULL;
    struct seen s = { 0 };

    assert_int_equal(nvd_ldcache_load(root, &data, &size, &err), 0);
    assert_int_equal(nvd_ldcache_parse(data, size, collect, &s, &err), 0);
    assert_null(err);
    assert_int_equal(s.libz64, 1);
    assert_string_equal(s.path, "/usr/lib/x86_64-linux-gnu/libz.so.1");

    cleanup_free char *found = nvd_ldcache_find(root, "libz.so.1", &err);
    assert_non_null(found);
    cleanup_free char *want = nvd_xasprintf("%s/usr/lib/x86_64-linux-gnu/libz.so.1", root);
    assert_string_equal(found, want);

    run_ok("rm -rf %s", root);
}

static void ldcache_new_format(void **state) { check_format("new"); }
static void ldcache_compat_format(void **state) { check_format("compat"); }

static void ldcache_find_missing_names_cache(void **state)
{
    cleanup_free char *root = make_root("new");
    nvd_error *err = NULL;

    assert_null(nvd_ldcache_find(root, "libnvidia-ml.so.1", &err));
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_NOT_FOUND);
    assert_non_null(strstr(err->msg, "libnvidia-ml.so.1 not found in"));
    assert_non_null(strstr(err->msg, "/etc/ld.so.cache"));
    nvd_error_free(err);
    run_ok("rm -rf %s", root);
}

static void ldcache_rejects_short_and_garbage(void **state)
{
    static const char garbage[64] = "this is not an ld.so.cache file at all";
    nvd_error *err = NULL;
    struct seen s = { 0 };

    assert_int_equal(nvd_ldcache_parse("", 0, collect, &s, &err), -1);
    assert_non_null(strstr(err->msg, "invalid ld.so.cache file"));
    nvd_error_free(err);
    err = NULL;
    assert_int_equal(nvd_ldcache_parse(garbage, sizeof(garbage), collect, &s, &err), -1);
    assert_non_null(strstr(err->msg, "invalid ld.so.cache file"));
    nvd_error_free(err);
    assert_int_equal(s.count, 0);
}

static void ldcache_rejects_entry_count_beyond_size(void **state)
{
    unsigned char buf[48 + 24] = "glibc-ld.so.cache1.1";
    uint32_t nlibs = 1000;
    nvd_error *err = NULL;
    struct seen s = { 0 };

    memcpy(buf + 20, &nlibs, sizeof(nlibs));
    assert_int_equal(nvd_ldcache_parse(buf, sizeof(buf), collect, &s, &err), -1);
    assert_non_null(strstr(err->msg, "do not fit"));
    nvd_error_free(err);
}

static void ldcache_skips_offsets_outside_buffer(void **state)
{
    unsigned char buf[48 + 24 + 8] = "glibc-ld.so.cache1.1";
    uint32_t nlibs = 1, flags = 0x0303, key = 9999, value = 72;
    nvd_error *err = NULL;
    struct seen s = { 0 };

    memcpy(buf + 20, &nlibs, 4);
    memcpy(buf + 48, &flags, 4);
    memcpy(buf + 52, &key, 4);
    memcpy(buf + 56, &value, 4);
    memcpy(buf + 72, "/x.so", 6);
    assert_int_equal(nvd_ldcache_parse(buf, sizeof(buf), collect, &s, &err), 0);
    assert_int_equal(s.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ldcache_new_format),
        cmocka_unit_test(ldcache_compat_format),
        cmocka_unit_test(ldcache_find_missing_names_cache),
        cmocka_unit_test(ldcache_rejects_short_and_garbage),
        cmocka_unit_test(ldcache_rejects_entry_count_beyond_size),
        cmocka_unit_test(ldcache_skips_offsets_outside_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
