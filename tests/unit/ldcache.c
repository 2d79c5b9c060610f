/*
 * Unit tests for the ld.so.cache reader: caches written by the real
 * ldconfig in its three formats, every truncation of them, and crafted
 * caches for what this machine's ldconfig cannot write (other machines,
 * another byte order, corrupt offsets and sizes).
 */
#include "test_util.h"

#include "ldcache.h"
#include "util.h"

struct seen {
    int count;
    int libz64;
    char path[512];
    enum nvd_ldcache_arch arches[16];
    char keys[16][64];
};

static int collect(const char *soname, const char *path, enum nvd_ldcache_arch arch, void *ctx)
{
    struct seen *s = ctx;

    if (s->count < 16) {
        s->arches[s->count] = arch;
        snprintf(s->keys[s->count], sizeof(s->keys[0]), "%s", soname);
    }
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

static void check_format(const char *format, enum nvd_ldcache_format want, bool want_extension)
{
    cleanup_free char *root = make_root(format);
    cleanup_free void *data = NULL;
    size_t size = 0;
    nvd_error *err = NULL;
    struct seen s = { 0 };
    struct nvd_ldcache_info info;

    assert_int_equal(nvd_ldcache_load(root, &data, &size, &err), 0);
    assert_int_equal(nvd_ldcache_parse(data, size, collect, &s, &info, &err), 0);
    assert_null(err);
    assert_int_equal(info.format, want);
    assert_int_equal(info.extension, want_extension);
    assert_int_equal(s.libz64, 1);
    assert_string_equal(s.path, "/usr/lib/x86_64-linux-gnu/libz.so.1");

    cleanup_free char *found = nvd_ldcache_find(root, "libz.so.1", &err);
    assert_non_null(found);
    cleanup_free char *want_path = nvd_xasprintf("%s/usr/lib/x86_64-linux-gnu/libz.so.1", root);
    assert_string_equal(found, want_path);

    run_ok("rm -rf %s", root);
}

/* Debian 12's ldconfig (glibc 2.36) writes all three formats, with the extension after new strings. */
static void ldcache_new_format(void **state) { check_format("new", NVD_LDCACHE_NEW, true); }
static void ldcache_compat_format(void **state) { check_format("compat", NVD_LDCACHE_COMPAT, true); }
static void ldcache_old_format(void **state) { check_format("old", NVD_LDCACHE_OLD, false); }

/* Parse every prefix of a real cache: each either parses or fails cleanly. */
static void check_truncations(const char *format)
{
    cleanup_free char *root = make_root(format);
    cleanup_free void *data = NULL;
    size_t size = 0;
    nvd_error *err = NULL;
    int failures = 0;

    assert_int_equal(nvd_ldcache_load(root, &data, &size, &err), 0);
    for (size_t n = 0; n <= size; n++) {
        /* A copy of exactly n bytes, so that ASan catches any read past the end. */
        unsigned char *prefix = nvd_xmalloc(n ? n : 1);
        struct seen s = { 0 };

        memcpy(prefix, data, n);
        int ret = nvd_ldcache_parse(prefix, n, collect, &s, NULL, &err);
        if (ret < 0) {
            assert_non_null(err);
            assert_non_null(strstr(err->msg, "invalid ld.so.cache file"));
            nvd_error_free(err);
            err = NULL;
            failures++;
        } else {
            assert_int_equal(ret, 0);
            assert_null(err);
            /* An entry is only reported with its whole path. */
            if (s.libz64)
                assert_string_equal(s.path, "/usr/lib/x86_64-linux-gnu/libz.so.1");
        }
        free(prefix);
    }
    assert_true(failures > 0);
    run_ok("rm -rf %s", root);
}

static void ldcache_truncated_new(void **state) { check_truncations("new"); }
static void ldcache_truncated_compat(void **state) { check_truncations("compat"); }
static void ldcache_truncated_old(void **state) { check_truncations("old"); }

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

/* Crafted caches: little-endian layouts as ldconfig writes them on x86-64. */

struct craft_entry {
    uint32_t flags;
    const char *key;
    const char *value;
};

static void put_u32(unsigned char *buf, size_t off, uint32_t v)
{
    memcpy(buf + off, &v, sizeof(v));
}

/*
 * Write a new-format cache of n entries into buf at offset base (the
 * header's position), its strings after the entries, and an empty
 * extension directory when extension is set. Return the end offset.
 */
static size_t craft_new(unsigned char *buf, size_t base, const struct craft_entry *e, size_t n,
                        unsigned char order, bool extension)
{
    size_t strings = 48 + 24 * n;
    size_t pos = strings;

    memcpy(buf + base, "glibc-ld.so.cache1.1", 20);
    put_u32(buf, base + 20, (uint32_t)n);
    buf[base + 28] = order;
    for (size_t i = 0; i < n; i++) {
        size_t entry = base + 48 + 24 * i;
        put_u32(buf, entry, e[i].flags);
        put_u32(buf, entry + 4, (uint32_t)pos);
        strcpy((char *)buf + base + pos, e[i].key);
        pos += strlen(e[i].key) + 1;
        put_u32(buf, entry + 8, (uint32_t)pos);
        strcpy((char *)buf + base + pos, e[i].value);
        pos += strlen(e[i].value) + 1;
    }
    put_u32(buf, base + 24, (uint32_t)(pos - strings));
    if (!extension)
        return base + pos;

    size_t ext = (base + pos + 7) & ~(size_t)7;
    put_u32(buf, base + 32, (uint32_t)ext);
    put_u32(buf, ext, 0xeaa42174u);
    put_u32(buf, ext + 4, 0);
    return ext + 8;
}

static const struct craft_entry foreign_entries[] = {
    { 0x0303, "libx8664.so.1", "/lib64/libx8664.so.1" },
    { 0x0003, "libi386.so.1", "/lib/libi386.so.1" },
    { 0x0803, "libx32.so.1", "/libx32/libx32.so.1" },
    { 0x0a03, "libaarch64.so.1", "/lib64/libaarch64.so.1" },
    { 0x0503, "libppc64.so.1", "/lib64/libppc64.so.1" },
    { 0x0703, "libmips64.so.1", "/lib64/libmips64.so.1" },   /* MIPS n64: "other" */
    { 0x0002, "libc5.so.5", "/lib/libc5.so.5" },             /* libc5, not an ELF entry of glibc */
};

static void check_foreign_arches(const struct seen *s)
{
    static const enum nvd_ldcache_arch want[] = {
        NVD_ARCH_X86_64, NVD_ARCH_I386, NVD_ARCH_X32, NVD_ARCH_AARCH64, NVD_ARCH_PPC64LE, NVD_ARCH_OTHER,
    };

    assert_int_equal(s->count, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(s->keys[i], foreign_entries[i].key);
        assert_int_equal(s->arches[i], want[i]);
    }
}

static void ldcache_arch_flags_new(void **state)
{
    unsigned char buf[1024] = { 0 };
    size_t size = craft_new(buf, 0, foreign_entries, 7, 2, true);
    nvd_error *err = NULL;
    struct seen s = { 0 };
    struct nvd_ldcache_info info;

    assert_int_equal(nvd_ldcache_parse(buf, size, collect, &s, &info, &err), 0);
    assert_int_equal(info.format, NVD_LDCACHE_NEW);
    assert_int_equal(info.entries, 7);
    assert_true(info.extension);
    check_foreign_arches(&s);
}

static void ldcache_arch_flags_old(void **state)
{
    unsigned char buf[1024] = { 0 };
    size_t strings = 16 + 12 * 7;
    size_t pos = 0;
    nvd_error *err = NULL;
    struct seen s = { 0 };
    struct nvd_ldcache_info info;

    memcpy(buf, "ld.so-1.7.0", 12);
    put_u32(buf, 12, 7);
    for (size_t i = 0; i < 7; i++) {
        put_u32(buf, 16 + 12 * i, foreign_entries[i].flags);
        put_u32(buf, 16 + 12 * i + 4, (uint32_t)pos);
        strcpy((char *)buf + strings + pos, foreign_entries[i].key);
        pos += strlen(foreign_entries[i].key) + 1;
        put_u32(buf, 16 + 12 * i + 8, (uint32_t)pos);
        strcpy((char *)buf + strings + pos, foreign_entries[i].value);
        pos += strlen(foreign_entries[i].value) + 1;
    }
    assert_int_equal(nvd_ldcache_parse(buf, strings + pos, collect, &s, &info, &err), 0);
    assert_int_equal(info.format, NVD_LDCACHE_OLD);
    check_foreign_arches(&s);
}

static void ldcache_compat_reads_new_part(void **state)
{
    unsigned char buf[1024] = { 0 };
    nvd_error *err = NULL;
    struct seen s = { 0 };
    struct nvd_ldcache_info info;

    /* One old entry whose offsets point nowhere useful: only the new part counts. */
    memcpy(buf, "ld.so-1.7.0", 12);
    put_u32(buf, 12, 1);
    put_u32(buf, 16, 0x0303);
    size_t size = craft_new(buf, 32, foreign_entries, 2, 0, false);
    assert_int_equal(nvd_ldcache_parse(buf, size, collect, &s, &info, &err), 0);
    assert_int_equal(info.format, NVD_LDCACHE_COMPAT);
    assert_int_equal(s.count, 2);
    assert_string_equal(s.keys[0], "libx8664.so.1");
    assert_string_equal(s.keys[1], "libi386.so.1");
}

/* Expect parsing buf to fail with a message containing what. */
static void expect_invalid(const void *buf, size_t size, const char *what)
{
    nvd_error *err = NULL;
    struct seen s = { 0 };

    assert_int_equal(nvd_ldcache_parse(buf, size, collect, &s, NULL, &err), -1);
    assert_non_null(err);
    assert_int_equal(err->kind, NVD_ERR_DRIVER);
    assert_non_null(strstr(err->msg, "invalid ld.so.cache file"));
    if (!strstr(err->msg, what))
        fail_msg("message '%s' lacks '%s'", err->msg, what);
    assert_int_equal(s.count, 0);
    nvd_error_free(err);
}

static void ldcache_rejects_short_and_garbage(void **state)
{
    static const char garbage[64] = "this is not an ld.so.cache file at all";

    expect_invalid("", 0, "only 0 bytes");
    expect_invalid("glibc-ld.so.cache1.1", 20, "cannot hold");
    expect_invalid(garbage, sizeof(garbage), "no ld.so-1.7.0");

    /* 17 bytes of the new magic: longer than the old header, shorter than the magic. */
    char *prefix = nvd_xmalloc(17);
    memcpy(prefix, "glibc-ld.so.cache", 17);
    expect_invalid(prefix, 17, "no ld.so-1.7.0");
    free(prefix);
}

static void ldcache_rejects_counts_beyond_size(void **state)
{
    unsigned char buf[1024] = { 0 };
    size_t size = craft_new(buf, 0, foreign_entries, 2, 2, false);

    put_u32(buf, 20, 1000);
    expect_invalid(buf, size, "1000 entries do not fit");
    put_u32(buf, 20, 0xffffffffu);
    expect_invalid(buf, size, "entries do not fit");

    put_u32(buf, 20, 2);
    put_u32(buf, 24, (uint32_t)size);
    expect_invalid(buf, size, "string table");

    unsigned char old[64] = "ld.so-1.7.0";
    put_u32(old, 12, 0x40000000u);
    expect_invalid(old, sizeof(old), "old-format entries do not fit");
}

static void ldcache_rejects_foreign_byte_order(void **state)
{
    unsigned char buf[1024] = { 0 };
    size_t size = craft_new(buf, 0, foreign_entries, 2, 3, false);

    expect_invalid(buf, size, "byte order 3");
    buf[28] = 1;
    expect_invalid(buf, size, "byte order 1");
}

static void ldcache_rejects_bad_extension(void **state)
{
    unsigned char buf[1024] = { 0 };
    size_t size = craft_new(buf, 0, foreign_entries, 2, 2, true);
    uint32_t ext;

    memcpy(&ext, buf + 32, sizeof(ext));
    put_u32(buf, 32, 60);   /* inside the entries */
    expect_invalid(buf, size, "extension offset 60");
    put_u32(buf, 32, (uint32_t)size);   /* at the very end */
    expect_invalid(buf, size, "extension offset");
    put_u32(buf, 32, ext);
    put_u32(buf, ext, 0x12345678u);
    expect_invalid(buf, size, "no extension directory");
    put_u32(buf, ext, 0xeaa42174u);
    put_u32(buf, ext + 4, 1000);
    expect_invalid(buf, size, "1000 extension sections");
}

static void ldcache_skips_offsets_outside_strings(void **state)
{
    unsigned char buf[1024] = { 0 };
    size_t size = craft_new(buf, 0, foreign_entries, 3, 2, true);
    uint32_t ext;
    nvd_error *err = NULL;
    struct seen s = { 0 };

    memcpy(&ext, buf + 32, sizeof(ext));
    put_u32(buf, 48 + 4, 9999);          /* key past the end of the file */
    put_u32(buf, 48 + 24 + 8, 20);       /* value inside the header */
    put_u32(buf, 48 + 48 + 4, ext);      /* key inside the extension directory */
    assert_int_equal(nvd_ldcache_parse(buf, size, collect, &s, NULL, &err), 0);
    assert_int_equal(s.count, 0);
}

static void ldcache_skips_unterminated_string(void **state)
{
    unsigned char buf[1024] = { 0 };
    const struct craft_entry entry = { 0x0303, "libend.so.1", "/lib64/libend.so.1" };
    size_t size = craft_new(buf, 0, &entry, 1, 2, false);
    nvd_error *err = NULL;
    struct seen s = { 0 };

    /* Shrink the string table by one byte: the value loses its NUL. */
    put_u32(buf, 24, (uint32_t)(size - 48 - 24 - 1));
    assert_int_equal(nvd_ldcache_parse(buf, size, collect, &s, NULL, &err), 0);
    assert_int_equal(s.count, 0);
    assert_int_equal(nvd_ldcache_parse(buf, size - 1, collect, &s, NULL, &err), 0);
    assert_int_equal(s.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ldcache_new_format),
        cmocka_unit_test(ldcache_compat_format),
        cmocka_unit_test(ldcache_old_format),
        cmocka_unit_test(ldcache_truncated_new),
        cmocka_unit_test(ldcache_truncated_compat),
        cmocka_unit_test(ldcache_truncated_old),
        cmocka_unit_test(ldcache_find_missing_names_cache),
        cmocka_unit_test(ldcache_arch_flags_new),
        cmocka_unit_test(ldcache_arch_flags_old),
        cmocka_unit_test(ldcache_compat_reads_new_part),
        cmocka_unit_test(ldcache_rejects_short_and_garbage),
        cmocka_unit_test(ldcache_rejects_counts_beyond_size),
        cmocka_unit_test(ldcache_rejects_foreign_byte_order),
        cmocka_unit_test(ldcache_rejects_bad_extension),
        cmocka_unit_test(ldcache_skips_offsets_outside_strings),
        cmocka_unit_test(ldcache_skips_unterminated_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
